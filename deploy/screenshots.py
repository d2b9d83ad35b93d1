"""Screenshots of the main pages of a running demo, at a desktop's and a phone's width.

    .venv/bin/python deploy/screenshots.py --base-url http://127.0.0.1:8000 \\
        --demo-log /tmp/demo.log            # what `make run` printed (passwords, keys)
    .venv/bin/python deploy/screenshots.py --login officer:PASSWORD \\
        --login manager:PASSWORD:TOTPKEY ...  # or the credentials by hand

Each page is taken once per width into docs/screenshots/<name>-desktop.png and
<name>-phone.png. A person whose role requires a second factor needs the key of their
authenticator app (the demo prints it): the codes are computed from it, as the app would.
To add a page, add a line to PAGES. Plain Playwright (sync API) and Debian's Chromium.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import re
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": 1280, "phone": 390}
# Full-page shots are cut at this height: a long page would make a heavy image.
MAX_HEIGHT = 2400

# (file name, who is signed in ("" for nobody), path). One line per page.
PAGES: list[tuple[str, str, str]] = [
    ("login", "", "/login/"),
    ("dashboard", "officer", "/"),
    ("compose", "officer", "/posts/new/"),
    ("notifications", "officer", "/notifications/"),
    ("queue", "manager", "/review/"),
    ("delegations", "manager", "/delegations/"),
    ("freezes", "manager", "/freezes/"),
    ("second-factor", "manager", "/second-factor/"),
    ("notifications-manager", "manager", "/notifications/"),
    ("accounts", "director", "/accounts/"),
    ("health", "director", "/admin/health/"),
    ("waivers-report", "director", "/waivers/report/"),
    ("legal-notice", "", "/mentions-legales/"),
    ("accessibility", "", "/accessibilite/"),
]


@dataclass
class Login:
    username: str
    password: str
    totp_key: str = ""  # base32, as the demo prints it


def totp(key: str, at: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238: the code an authenticator app shows for this key at this time."""
    secret = base64.b32decode(key.upper() + "=" * (-len(key) % 8))
    counter = struct.pack(">Q", int(at // step))
    digest = hmac.new(secret, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def parse_demo_log(text: str) -> dict[str, Login]:
    """The users, passwords and authenticator keys `load_demo` printed."""
    logins: dict[str, Login] = {}
    for username, password in re.findall(r"^  (\w+)\s+(\S+)\s+(?:author|reviewer)", text, re.M):
        logins[username] = Login(username, password)
    for username, key in re.findall(r"^  (\w+)\s+key ([A-Z2-7]+)$", text, re.M):
        if username in logins:
            logins[username].totp_key = key
    return logins


def sign_in(context: Any, base_url: str, login: Login) -> None:
    page = context.new_page()
    page.goto(base_url + "/login/")
    page.fill("#id_username", login.username)
    page.fill("#id_password", login.password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/second-factor/verify/" in page.url:
        if not login.totp_key:
            sys.exit(f"{login.username} needs a second factor: give the key (user:password:key)")
        page.fill("#id_code", totp(login.totp_key, time.time()))
        page.click("#verify")
        page.wait_for_load_state()
    if "/login/" in page.url or "/second-factor/" in page.url:
        sys.exit(f"Could not sign in as {login.username} (now at {page.url})")
    page.close()


def shoot(page: Any, base_url: str, name: str, path: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        height = min(MAX_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
        target = OUT / f"{name}-{label}.png"
        page.screenshot(
            path=str(target),
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
        )
        print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--demo-log", type=Path, help="the output of `make run`")
    parser.add_argument("--login", action="append", default=[], help="user:password[:totp-key]")
    parser.add_argument("--language", default="fr", choices=["fr", "en"])
    parser.add_argument("--only", action="append", default=[], help="page names to take")
    args = parser.parse_args()
    logins = parse_demo_log(args.demo_log.read_text()) if args.demo_log else {}
    for given in args.login:
        parts = given.split(":")
        logins[parts[0]] = Login(*parts[:3])
    base_url = args.base_url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        contexts: dict[str, Any] = {}
        for name, user, path in PAGES:
            if args.only and name not in args.only:
                continue
            if user not in contexts:
                # One context (one session) per person: one login each, so a second-factor
                # code is never typed twice (the server refuses a replayed code).
                contexts[user] = browser.new_context(locale=args.language)
                if user:
                    if user not in logins:
                        sys.exit(f"No credentials for {user}: --demo-log or --login {user}:...")
                    sign_in(contexts[user], base_url, logins[user])
            page = contexts[user].new_page()
            shoot(page, base_url, name, path)
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
