from __future__ import annotations

import pytest

from charter.engine import CharterParamsError, normalize_params
from charter.rules import RULES, Severity
from charter.rules.pii import iban_valid, national_phone, nir_key_valid
from tests.charter.builders import mastodon, post

EMAIL = RULES["pii.email"]
PHONE = RULES["pii.phone"]
IBAN = RULES["pii.iban"]
NIR = RULES["pii.nir"]


def _spans(rule_code: str, text: str, **params: object) -> list[tuple[int, int] | None]:
    return [f.span for f in RULES[rule_code].run(post(text, mastodon(text)), params)]


# --- e-mail ------------------------------------------------------------------------------------


def test_pii_email_found_with_its_span_and_blocks() -> None:
    text = "Écrivez à marie.dupont@dgx.gouv.fr pour vous inscrire."
    (finding,) = EMAIL.run(post(text, mastodon(text)))
    assert finding.severity is Severity.BLOCK
    assert finding.span == (10, 34)
    assert text[10:34] == "marie.dupont@dgx.gouv.fr"


def test_pii_email_message_does_not_repeat_the_address() -> None:
    (finding,) = EMAIL.run(post("a marie@dgx.fr", mastodon("x")))
    assert "marie" not in finding.message


def test_pii_email_sentence_full_stop_is_not_part_of_the_address() -> None:
    assert _spans("pii.email", "Écrivez à contact@mairie.fr.") == [(10, 27)]


def test_pii_email_mastodon_mention_is_not_an_address() -> None:
    assert _spans("pii.email", "Merci @dgx@social.example et @a@b.fr !") == []


def test_pii_email_allowed_address_passes_whatever_its_case() -> None:
    text = "Vos questions : Contact@DGX.gouv.fr"
    assert _spans("pii.email", text, allowed=["contact@dgx.gouv.fr"]) == []


def test_pii_email_allowed_domain_passes_every_address_there() -> None:
    text = "accueil@dgx.gouv.fr ou marie@gmail.com"
    assert _spans("pii.email", text, allowed=["@dgx.gouv.fr"]) == [(23, 38)]


def test_pii_email_allow_list_entry_must_look_like_an_address() -> None:
    with pytest.raises(CharterParamsError, match="neither an address"):
        normalize_params({"pii.email": {"allowed": ["dgx.gouv.fr"]}})


# --- phone -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("Appelez le 06 12 34 56 78.", (11, 25)),
        ("Appelez le 06.12.34.56.78.", (11, 25)),
        ("Appelez le 06-12-34-56-78.", (11, 25)),
        ("Appelez le 0612345678.", (11, 21)),
        ("Appelez le 06\u00a012\u00a034\u00a056\u00a078.", (11, 25)),
        ("Appelez le +33 6 12 34 56 78.", (11, 28)),
        ("Appelez le +33612345678.", (11, 23)),
        ("Appelez le 0033 6 12 34 56 78.", (11, 29)),
        ("Appelez le +33 (0)1 23 45 67 89.", (11, 31)),
    ],
)
def test_pii_phone_found_in_every_usual_form(text: str, span: tuple[int, int]) -> None:
    assert _spans("pii.phone", text) == [span]


@pytest.mark.parametrize(
    "text",
    [
        "Le 12/03/2026 à 14 h 30.",
        "Réunion le 01.03.2026 puis le 01-03-2026.",
        "Une aide de 1 500 € en 2026.",
        "Code postal 75007, 13001 Marseille.",
        "SIRET 123 456 789 00012, SIREN 123456789.",
        "Numéro vert : 0 800 123 456, ou 08 00 12 34 56.",
        "Référence 061234567890123.",
        "Le 06 12 34 56 78 90 n'est pas un numéro.",
        "Urgences : 15, 112, 3919.",
    ],
)
def test_pii_phone_ordinary_numbers_pass(text: str) -> None:
    assert _spans("pii.phone", text) == []


def test_pii_phone_allowed_number_passes_whatever_its_form() -> None:
    text = "Standard : +33 1 23 45 67 89, ou Marie au 06 12 34 56 78."
    assert _spans("pii.phone", text, allowed=["01.23.45.67.89"]) == [(42, 56)]


def test_pii_phone_allow_list_entry_must_be_a_number() -> None:
    with pytest.raises(CharterParamsError, match="not a French phone number"):
        normalize_params({"pii.phone": {"allowed": ["01 23"]}})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("01 23 45 67 89", "0123456789"),
        ("+33 1 23 45 67 89", "0123456789"),
        ("+33 (0)1 23 45 67 89", "0123456789"),
        ("0033123456789", "0123456789"),
        ("12345", None),
        ("0023456789", None),
    ],
)
def test_pii_national_phone(value: str, expected: str | None) -> None:
    assert national_phone(value) == expected


# --- IBAN --------------------------------------------------------------------------------------


def test_pii_iban_found_in_groups_of_four() -> None:
    text = "Virement sur FR76 3000 6000 0112 3456 7890 189 avant le 12 mars."
    (finding,) = IBAN.run(post(text, mastodon(text)))
    assert finding.span == (13, 46)
    assert finding.severity is Severity.BLOCK
    assert "3000" not in finding.message


def test_pii_iban_found_without_spaces_and_in_lower_case() -> None:
    assert _spans("pii.iban", "iban: fr7630006000011234567890189") == [(6, 33)]


def test_pii_iban_stops_at_its_country_length() -> None:
    text = "DE89 3704 0044 0532 0130 00 DEUX FOIS"
    assert _spans("pii.iban", text) == [(0, 27)]


def test_pii_iban_two_in_a_row_both_found() -> None:
    text = "GB82 WEST 1234 5698 7654 32 DE89 3704 0044 0532 0130 00"
    assert _spans("pii.iban", text) == [(0, 27), (28, 55)]


def test_pii_iban_wrong_check_digits_pass() -> None:
    assert (
        _spans("pii.iban", "FR00 3000 6000 0112 3456 7890 189 et FR7630006000011234567890188") == []
    )


def test_pii_iban_allowed_account_passes() -> None:
    text = "Dons : FR76 3000 6000 0112 3456 7890 189"
    assert _spans("pii.iban", text, allowed=["fr7630006000011234567890189"]) == []


def test_pii_iban_valid() -> None:
    assert iban_valid("FR7630006000011234567890189")
    assert not iban_valid("FR763000600001123456789018")  # one character short
    assert not iban_valid("XX7630006000011234567890189")


# --- NIR ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("NIR : 1 85 05 78 006 084 91.", (6, 27)),
        ("NIR : 185057800608491.", (6, 21)),
        ("NIR : 2 90 03 2A 004 123 20.", (6, 27)),
        ("NIR : 2 90 03 2b 004 123 47.", (6, 27)),
    ],
)
def test_pii_nir_found_with_a_valid_key(text: str, span: tuple[int, int]) -> None:
    assert _spans("pii.nir", text) == [span]


@pytest.mark.parametrize(
    "text",
    [
        "Dossier 1 85 05 78 006 084 12.",  # wrong key
        "Dossier 2 90 03 2A 004 123 47.",  # 2B's key on 2A
        "Dossier 5 85 05 78 006 084 91.",  # no such first digit
        "Dossier 1 85 15 78 006 084 91.",  # no month 15
        "Dossier 11850578006084910.",  # longer number
    ],
)
def test_pii_nir_other_numbers_pass(text: str) -> None:
    assert _spans("pii.nir", text) == []


def test_pii_nir_key_valid_handles_corsica() -> None:
    assert nir_key_valid("2900319004123", "20")  # plain digits
    assert nir_key_valid("290032A004123", "20")
    assert nir_key_valid("290032B004123", "47")


def test_pii_nir_blocks_and_does_not_repeat_the_number() -> None:
    text = "1 85 05 78 006 084 91"
    (finding,) = NIR.run(post(text, mastodon(text)))
    assert finding.severity is Severity.BLOCK
    assert "085" not in finding.message and "084" not in finding.message
