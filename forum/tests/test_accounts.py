"""Participant accounts (django-allauth): e-mail sign-up and sign-in, verification,
password reset without revealing accounts, rate limits, and the restyled pages."""

import re
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import translation

from forum.forms import SignupForm
from forum.models import User
from forum.tests.factories import UserFactory
from sessions_app.tests.support import page_text

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase for ana"
SUBJECT_PREFIX = "[Mayoral Forum] "


def verified_user(email: str) -> User:
    """A participant whose address ``email`` is confirmed, with password ``PASSWORD``."""
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def sign_up(client, email: str, password: str = PASSWORD, password2: str | None = None):
    """Post the sign-up form; ``password2`` (the repeated password) defaults to ``password``."""
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": password, "password2": password if password2 is None else password2},
    )


def sign_in(client, email: str, password: str = PASSWORD):
    """Post the sign-in form."""
    return client.post(reverse("account_login"), {"login": email, "password": password})


def signed_in_user_id(client) -> str | None:
    """The primary key (a string) of the user signed in on ``client``, or ``None``."""
    return client.session.get("_auth_user_id")


def link_in(body: str, path: str) -> str | None:
    """The path of the first ``http://testserver`` link in ``body`` that starts with ``path``."""
    match = re.search(rf"https?://testserver({re.escape(path)}\S*)", body)
    return match.group(1) if match else None


VOID_ELEMENTS = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _Element(HTMLParser):
    """The attributes and text of the element with a given ``id`` in an HTML page."""

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id = element_id
        self.attrs: dict[str, str] | None = None
        self.text: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += int(tag not in VOID_ELEMENTS)
        elif dict(attrs).get("id") == self.element_id:
            self.attrs = {name: value or "" for name, value in attrs}
            self._depth = int(tag not in VOID_ELEMENTS)

    def handle_startendtag(self, tag, attrs):
        if not self._depth and dict(attrs).get("id") == self.element_id:
            self.attrs = {name: value or "" for name, value in attrs}

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.text.append(data)


def element(response, element_id: str) -> tuple[dict[str, str], str]:
    """``(attributes, visible text)`` of the element ``element_id`` on the page (which must have it)."""
    parser = _Element(element_id)
    parser.feed(response.content.decode())
    assert parser.attrs is not None, f"no element with id {element_id!r}"
    return parser.attrs, " ".join("".join(parser.text).split())


# Sign-up and e-mail verification.


def test_sign_up_mails_a_link_and_confirming_it_verifies_the_address_and_signs_in(client, mailoutbox):
    response = sign_up(client, "Ana.Lopez@Example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "ana.lopez@example.org"
    assert not EmailAddress.objects.get(user=user).verified
    assert signed_in_user_id(client) is None
    [mail] = mailoutbox
    assert mail.to == ["ana.lopez@example.org"]
    assert mail.subject.startswith(SUBJECT_PREFIX)
    confirm_path = link_in(mail.body, "/en/accounts/confirm-email/")
    assert confirm_path

    page = client.get(confirm_path)

    assert page.status_code == 200
    assert "ana.lopez@example.org" in page_text(page.content)
    assert 'class="btn btn-primary' in page.content.decode()
    assert not EmailAddress.objects.get(user=user).verified, "opening the link alone confirms nothing"

    response = client.post(confirm_path)

    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert signed_in_user_id(client) == str(user.pk)


def test_signing_in_before_verifying_leads_to_the_verification_page(client, mailoutbox):
    sign_up(client, "ana@example.org")
    browser = Client()

    response = sign_in(browser, "ana@example.org")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_user_id(browser) is None
    page = browser.get(response["Location"])
    assert "Verify Your Email Address" in page_text(page.content)


def test_confirmation_link_opened_in_another_browser_verifies_without_signing_in(client, mailoutbox):
    sign_up(client, "ana@example.org")
    confirm_path = link_in(mailoutbox[0].body, "/en/accounts/confirm-email/")
    browser = Client()

    browser.post(confirm_path)

    assert EmailAddress.objects.get(email="ana@example.org").verified
    assert signed_in_user_id(browser) is None
    assert sign_in(browser, "ana@example.org")["Location"] == "/en/"
    assert signed_in_user_id(browser) == str(User.objects.get().pk)


def test_sign_up_with_a_taken_address_in_other_case_keeps_one_account_and_tells_its_owner(client, mailoutbox):
    ana = verified_user("ana@x.org")
    stranger = Client()
    new_signup = sign_up(stranger, "someone.new@x.org")

    response = sign_up(client, "Ana@X.org", password="another password 4 ana")

    assert response.status_code == 302
    assert response["Location"] == new_signup["Location"], "answered as if the account had been created"
    assert list(User.objects.filter(email__iexact="ana@x.org")) == [ana]
    ana.refresh_from_db()
    assert ana.check_password(PASSWORD)
    assert signed_in_user_id(client) is None
    [mail] = [mail for mail in mailoutbox if mail.to == ["ana@x.org"]]
    assert mail.subject == f"{SUBJECT_PREFIX}Account Already Exists"
    assert link_in(mail.body, "/en/accounts/password/reset/")
    assert not link_in(mail.body, "/en/accounts/confirm-email/")


def test_sign_up_with_the_address_of_an_account_created_with_capitals_keeps_one_account(client, mailoutbox):
    verified_user("Ana@X.org")

    sign_up(client, "ana@x.org")

    assert list(User.objects.values_list("email", flat=True)) == ["ana@x.org"]


def test_an_account_created_with_capitals_signs_in_with_any_case(client):
    ana = verified_user("Ana@X.org")

    sign_in(client, "ana@x.org")

    assert signed_in_user_id(client) == str(ana.pk)


# Signing in.


def test_sign_in_ignores_the_case_of_the_address(client):
    ana = verified_user("ana@x.org")

    response = sign_in(client, "ANA@x.org")

    assert response.status_code == 302
    assert response["Location"] == "/en/"
    assert signed_in_user_id(client) == str(ana.pk)


def test_wrong_password_is_refused_with_an_error_on_the_form(client):
    verified_user("ana@x.org")

    response = sign_in(client, "ana@x.org", "not the password")

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert "The email address and/or password you specified are not correct." in page_text(response.content)
    assert 'class="alert alert-danger"' in response.content.decode()


def test_repeated_failed_sign_ins_for_one_address_are_rate_limited(client):
    verified_user("ana@x.org")
    for attempt in range(5):
        response = sign_in(client, "ana@x.org" if attempt % 2 else "ANA@X.ORG", "not the password")
        assert "not correct" in page_text(response.content)

    response = sign_in(client, "ana@x.org")

    assert response.status_code == 200
    assert "Too many failed login attempts. Try again later." in page_text(response.content)
    assert signed_in_user_id(client) is None
    other = verified_user("other@x.org")
    assert sign_in(client, "other@x.org")["Location"] == "/en/", "the limit is per address"
    assert signed_in_user_id(client) == str(other.pk)


def test_sign_out_asks_then_signs_out_and_returns_to_the_forums(client):
    client.force_login(verified_user("ana@x.org"))

    page = client.get(reverse("account_logout"))
    response = client.post(reverse("account_logout"))

    assert "Are you sure you want to sign out?" in page_text(page.content)
    assert response["Location"] == reverse("forum:forum-list")
    assert signed_in_user_id(client) is None


# Password reset.


def test_password_reset_answers_alike_for_known_and_unknown_addresses(client, mailoutbox):
    verified_user("ana@x.org")

    known = client.post(reverse("account_reset_password"), {"email": "ana@x.org"}, follow=True)
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@x.org"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain == [(reverse("account_reset_password_done"), 302)]
    assert page_text(known.content) == page_text(unknown.content)
    to_nobody = [mail for mail in mailoutbox if mail.to == ["nobody@x.org"]]
    assert all(not link_in(mail.body, "/en/accounts/password/reset/key/") for mail in to_nobody)
    assert [mail.subject for mail in to_nobody] == [f"{SUBJECT_PREFIX}Unknown Account"]


def test_password_reset_link_sets_a_new_password(client, mailoutbox):
    ana = verified_user("ana@x.org")

    client.post(reverse("account_reset_password"), {"email": "Ana@X.org"})

    [mail] = mailoutbox
    assert mail.to == ["ana@x.org"]
    assert mail.subject.startswith(SUBJECT_PREFIX)
    key_path = link_in(mail.body, "/en/accounts/password/reset/key/")
    form_page = client.get(key_path, follow=True)
    assert form_page.status_code == 200
    assert 'name="password1"' in form_page.content.decode()
    response = client.post(form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    ana.refresh_from_db()
    assert ana.check_password(NEW_PASSWORD)
    browser = Client()
    assert sign_in(browser, "ana@x.org", PASSWORD).status_code == 200
    assert sign_in(browser, "ana@x.org", NEW_PASSWORD)["Location"] == "/en/"


# The pages: site layout, Bootstrap markup, errors next to their fields.

FORM_PAGES = ["account_login", "account_signup", "account_reset_password"]
SIGNED_IN_FORM_PAGES = ["account_change_password", "account_email"]
TEXT_PAGES = ["account_email_verification_sent", "account_reset_password_done"]


def assert_in_site_layout(response) -> str:
    """The page answers 200 inside the site's layout, in a card with a heading; returns its HTML."""
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<a class="navbar-brand"[^>]*>\s*<span[^>]*></span>Mayoral Forum', html)
    assert 'class="visually-hidden-focusable skip-link" href="#main"' in html
    assert 'class="card shadow-sm account-card"' in html
    assert re.search(r"<h1[^>]*>\s*\S", html)
    return html


@pytest.mark.parametrize("url_name", FORM_PAGES)
def test_signed_out_form_pages_use_the_site_layout_and_bootstrap(client, url_name):
    html = assert_in_site_layout(client.get(reverse(url_name)))

    assert 'class="textinput form-control"' in html or 'class="emailinput form-control"' in html
    assert 'class="form-label' in html
    assert 'class="btn btn-primary' in html


@pytest.mark.parametrize("url_name", SIGNED_IN_FORM_PAGES)
def test_account_settings_pages_use_the_site_layout_and_bootstrap(client, url_name):
    client.force_login(verified_user("ana@x.org"))

    html = assert_in_site_layout(client.get(reverse(url_name)))

    assert "form-control" in html
    assert 'class="btn btn-primary' in html
    assert 'aria-label="Account settings"' in html
    assert re.search(rf'class="nav-link active" aria-current="page"\s+href="{reverse(url_name)}"', html)


@pytest.mark.parametrize("url_name", TEXT_PAGES)
def test_message_pages_use_the_site_layout(client, url_name):
    assert_in_site_layout(client.get(reverse(url_name)))


def test_email_page_lists_the_address_with_its_state(client):
    client.force_login(verified_user("ana@x.org"))

    response = client.get(reverse("account_email"))

    html = response.content.decode()
    assert re.search(r'<input class="form-check-input"\s+type="radio"', html)
    assert 'class="badge text-bg-success"' in html
    assert "ana@x.org Verified Primary" in page_text(response.content)


def test_sign_up_errors_are_shown_under_their_fields(client):
    response = sign_up(client, "not-an-address", password=PASSWORD, password2="something else")

    assert response.status_code == 200
    assert User.objects.count() == 0
    for field, message in [
        ("email", "Enter a valid email address."),
        ("password2", "You must type the same password each time."),
    ]:
        attrs, _ = element(response, f"id_{field}")
        assert "is-invalid" in attrs["class"].split()
        assert attrs["aria-invalid"] == "true"
        assert f"id_{field}_error" in attrs["aria-describedby"].split()
        error_attrs, error_text = element(response, f"id_{field}_error")
        assert "invalid-feedback" in error_attrs["class"].split()
        assert error_text == message


def test_password_change_errors_are_shown_under_their_fields(client):
    client.force_login(verified_user("ana@x.org"))

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "not the password", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    attrs, _ = element(response, "id_oldpassword")
    assert "id_oldpassword_error" in attrs["aria-describedby"].split()
    assert element(response, "id_oldpassword_error")[1] == "Please type your current password."


# The navigation bar.


def test_navbar_offers_sign_in_and_sign_up_to_visitors(client):
    response = client.get(reverse("forum:forum-list"))

    html = response.content.decode()
    assert f'href="{reverse("account_login")}">Sign in</a>' in html
    assert f'href="{reverse("account_signup")}">Sign up</a>' in html
    assert "Sign out" not in page_text(response.content)


def test_navbar_shows_the_account_menu_to_a_signed_in_participant(client):
    client.force_login(verified_user("ana@x.org"))

    response = client.get(reverse("forum:forum-list"))

    html = response.content.decode()
    text = page_text(response.content)
    assert "Signed in as ana@x.org" in text
    assert f'<a class="dropdown-item" href="{reverse("account_email")}">Account</a>' in html
    assert re.search(
        rf'<form method="post" action="{reverse("account_logout")}">.*?<button type="submit" class="dropdown-item">'
        r"Sign out</button>",
        html,
        re.S,
    )
    assert "Sign in" not in text
    assert "Sign up" not in text


def test_typos_of_twelve_people_on_one_venue_address_lock_out_nobody_else(client):
    for n in range(12):
        verified_user(f"participant{n}@x.org")
        sign_in(client, f"participant{n}@x.org", "not the password")
    ana = verified_user("ana@x.org")

    sign_in(client, "ana@x.org")

    assert signed_in_user_id(client) == str(ana.pk)


def test_sign_up_with_an_address_longer_than_254_characters_is_refused_on_the_form(client, mailoutbox):
    response = sign_up(client, "a" * 300 + "@example.org")

    assert response.status_code == 200
    assert "An e-mail address has at most 254 characters." in page_text(response.content)
    assert not User.objects.exists()
    assert mailoutbox == []


def test_a_second_submit_of_a_new_address_racing_the_first_gets_the_taken_address_answer(
    client, mailoutbox, monkeypatch
):
    verified_user("ana@x.org")  # the first submit's account, stored after the second one was validated
    monkeypatch.setattr(SignupForm, "validate_unique_email", lambda form, value: value)

    response = sign_up(client, "ana@x.org")

    assert response.status_code == 302
    assert User.objects.count() == 1
    assert [mail.subject for mail in mailoutbox] == ["[Mayoral Forum] Account Already Exists"]


def test_signing_in_from_a_spanish_page_lands_on_spanish_pages(client):
    verified_user("ana@x.org")

    with translation.override("es"):
        response = client.post(reverse("account_login"), {"login": "ana@x.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/es/"
