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

# (file name, who is signed in ("" for nobody), path). One line per page. A path may name
# what --seed made or found: {published}, {scheduled} (post ids), {account} (a public
# account), {unit} (the first unit of the configuration hub).
PAGES: list[tuple[str, str, str]] = [
    ("login", "", "/login/"),
    ("dashboard", "officer", "/"),
    ("compose", "officer", "/posts/new/"),
    ("notifications", "officer", "/notifications/"),
    ("queue", "manager", "/review/"),
    ("calendar", "manager", "/calendar/"),
    ("post", "manager", "/posts/{published}/"),
    ("delegations", "manager", "/delegations/"),
    ("freezes", "manager", "/freezes/"),
    ("second-factor", "manager", "/second-factor/"),
    ("notifications-manager", "manager", "/notifications/"),
    ("accounts", "director", "/accounts/"),
    ("health", "director", "/admin/health/"),
    ("waivers-report", "director", "/waivers/report/"),
    ("settings", "director", "/settings/"),
    ("settings-members", "director", "/settings/units/{unit}/members/"),
    ("settings-chains", "director", "/settings/chains/"),
    ("settings-charters", "director", "/settings/charters/"),
    ("public", "", "/public/"),
    ("public-account", "", "/public/a/{account}/"),
    ("public-post", "", "/public/p/{published}/"),
    ("legal-notice", "", "/mentions-legales/"),
    ("accessibility", "", "/accessibilite/"),
]
# What the compose page is shown with (typed, not submitted): the previews follow the text.
COMPOSE_TEXT = (
    "Les inscriptions à la médiathèque ouvrent lundi à 9 h, en ligne ou sur place. "
    "Toutes les démarches : https://www.service-public.fr"
)
# The posts --seed takes through the whole chain (officer, manager, director), and the one
# it leaves in the review queue.
PUBLISHED_TEXT = "Le guichet unique de la mairie est ouvert ce samedi de 9 h à 12 h."
SCHEDULED_TEXT = "Réunion publique sur le plan vélo : mardi à 18 h, salle du conseil."
WAITING_TEXT = "Collecte des encombrants : inscrivez-vous avant jeudi auprès de la mairie."
# A picture heavier than this is saved again with a palette of 256 colours: still readable.
MAX_BYTES = 200_000


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


def prepare(page: Any, name: str) -> None:
    """What a page needs before the picture: the compose form filled so the previews show."""
    if name != "compose":
        return
    # The desktop shot's typing is kept by the autosave: the phone shot starts afresh.
    if page.locator("#draft-restored").is_visible():
        page.click("#draft-discard")
    for box in page.locator("input[name=accounts]").all():
        box.check()
    page.fill("#id_text", COMPOSE_TEXT)
    page.locator("#previews .pv-text").first.wait_for()


def shrink(target: Path) -> None:
    """A heavy picture is saved again with a palette (Pillow), losing little."""
    if target.stat().st_size <= MAX_BYTES:
        return
    from PIL import Image

    with Image.open(target) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(target, optimize=True)


def shoot(page: Any, base_url: str, name: str, path: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        prepare(page, name)
        height = min(MAX_HEIGHT, page.evaluate("document.documentElement.scrollHeight"))
        target = OUT / f"{name}-{label}.png"
        page.screenshot(
            path=str(target),
            full_page=True,
            clip={"x": 0, "y": 0, "width": width, "height": height},
        )
        shrink(target)
        print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KB")


class People:
    """One browser context (one session) per person, signed in once: a second-factor code
    is never typed twice (the server refuses a replayed code)."""

    def __init__(self, browser: Any, base_url: str, logins: dict[str, Login], language: str):
        self.browser, self.base_url, self.logins = browser, base_url, logins
        self.language = language
        self.contexts: dict[str, Any] = {}

    def page(self, user: str) -> Any:
        if user not in self.contexts:
            # A region with the language, so the date fields show the dates as people there
            # read them (Chromium's plain "fr" shows them month first).
            region = {"fr": "fr-FR", "en": "en-GB"}[self.language]
            self.contexts[user] = self.browser.new_context(locale=region)
            if user:
                if user not in self.logins:
                    sys.exit(f"No credentials for {user}: --demo-log or --login {user}:...")
                sign_in(self.contexts[user], self.base_url, self.logins[user])
        page = self.contexts[user].new_page()
        page.set_default_timeout(30000)
        return page


def _state(page: Any) -> str:
    return str(page.get_attribute("#post-state", "data-state"))


def _submitted(people: People, text: str) -> int:
    """Composed by the officer for every account and submitted. Returns the post's id."""
    page = people.page("officer")
    page.goto(people.base_url + "/posts/new/")
    for box in page.locator("input[name=accounts]").all():
        box.check()
    page.fill("#id_text", text)
    page.click("button[name=submit]")
    page.wait_for_selector("#post-state[data-state='in_review']")
    pk = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.close()
    return pk


def _through_the_chain(people: People, text: str) -> int:
    """Submitted, then approved by the manager then the director (the demo's two-step
    chain). Returns the post's id."""
    pk = _submitted(people, text)
    for approver in ("manager", "director"):
        page = people.page(approver)
        page.goto(f"{people.base_url}/posts/{pk}/")
        if page.locator("#approve").count():
            with page.expect_navigation():
                page.click("#approve")
        page.close()
    return pk


def seed(people: People) -> dict[str, str]:
    """One post published now, one scheduled for tomorrow and one waiting for approval,
    through the interface, so the calendar, the public pages and the review queue have
    something to show; then the ids the paths name."""
    base = people.base_url
    published = _through_the_chain(people, PUBLISHED_TEXT)
    page = people.page("director")
    page.goto(f"{base}/posts/{published}/")
    page.click("#publish-now")
    # The worker publishes to the demo's Mastodon and Bluesky: wait until it has.
    deadline = time.monotonic() + 120
    while _state(page) != "published":
        if time.monotonic() > deadline:
            sys.exit(f"Post {published} not published after 2 minutes ({_state(page)})")
        page.wait_for_timeout(2000)
        page.reload()
    scheduled = _through_the_chain(people, SCHEDULED_TEXT)
    page.goto(f"{base}/posts/{scheduled}/")
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    page.fill("#id_at", f"{tomorrow}T10:00")
    page.click("#schedule")
    page.wait_for_selector("#post-state[data-state='scheduled']")
    page.close()
    waiting = _submitted(people, WAITING_TEXT)
    print(
        f"Seeded: post {published} published, post {scheduled} scheduled for {tomorrow}, "
        f"post {waiting} waiting for approval"
    )
    return {"published": str(published), "scheduled": str(scheduled)}


def found(people: People, ids: dict[str, str]) -> dict[str, str]:
    """The ids the paths name that the running site shows: a public account, a unit, and (if
    --seed did not run) the last published post of that account."""
    page = people.page("")
    page.goto(people.base_url + "/public/")
    href = page.get_attribute("main a[href^='/public/a/']", "href") or ""
    ids.setdefault("account", href.strip("/").rsplit("/", 1)[-1])
    if "published" not in ids:
        page.goto(people.base_url + href)
        post = page.get_attribute("main a[href^='/public/p/']", "href") or ""
        ids["published"] = post.strip("/").rsplit("/", 1)[-1]
    page.close()
    page = people.page("director")
    page.goto(people.base_url + "/settings/")
    members = page.get_attribute("main a[href$='/members/']", "href") or ""
    ids.setdefault("unit", members.strip("/").split("/")[-2])
    page.close()
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--demo-log", type=Path, help="the output of `make run`")
    parser.add_argument("--login", action="append", default=[], help="user:password[:totp-key]")
    parser.add_argument("--language", default="fr", choices=["fr", "en"])
    parser.add_argument("--only", action="append", default=[], help="page names to take")
    parser.add_argument(
        "--seed",
        action="store_true",
        help="first publish one post and schedule another through the interface",
    )
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
        people = People(browser, base_url, logins, args.language)
        ids = seed(people) if args.seed else {}
        wanted = [row for row in PAGES if not args.only or row[0] in args.only]
        if any("{" in path for _, _, path in wanted):
            ids = found(people, ids)
        for name, user, path in wanted:
            page = people.page(user)
            shoot(page, base_url, name, path.format(**ids))
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
