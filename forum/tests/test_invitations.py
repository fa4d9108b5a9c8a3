"""Rapporteur invitations: ``forum.invitations.invite_rapporteur`` and the people admin's
"Invite as rapporteur" action."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from forum.invitations import InvitationError, invite_rapporteur
from forum.models import Person, User
from forum.tests.factories import ForumFactory, PersonFactory, UserFactory
from sessions_app.models import SpeakerRole
from sessions_app.tests.factories import SessionFactory, SpeakerRoleFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

Role = SpeakerRole.Role
PASSWORD = "a rapporteur's own passphrase"
RESET_PATH = re.compile(r"https?://testserver(/en/accounts/password/reset/key/\S+)")
CHANGELIST = reverse("admin:forum_person_changelist")


@pytest.fixture
def forum():
    return ForumFactory(title="Mayoral Forum 2020")


@pytest.fixture
def rapporteur(forum) -> Person:
    """Ana, rapporteur of one session and rapporteurship of another, and a speaker in a third."""
    ana = PersonFactory(name="Ana López")
    SpeakerRoleFactory(person=ana, role=Role.RAPPORTEUR, agenda_item__session=SessionFactory(forum=forum, title="Jobs"))
    SpeakerRoleFactory(
        person=ana, role=Role.RAPPORTEURSHIP, agenda_item__session=SessionFactory(forum=forum, title="Housing")
    )
    SpeakerRoleFactory(person=ana, role=Role.SPEAKER, agenda_item__session=SessionFactory(forum=forum, title="Water"))
    return ana


@pytest.fixture
def speaker(forum) -> Person:
    """Bruno, a speaker only."""
    bruno = PersonFactory(name="Bruno Díaz")
    SpeakerRoleFactory(person=bruno, role=Role.SPEAKER, agenda_item__session=SessionFactory(forum=forum))
    return bruno


def invite(person: Person, email: str, rf) -> User:
    return invite_rapporteur(person=person, email=email, request=rf.get("/admin/"))


def refusal(person: Person, email: str, rf) -> str:
    """The ``code`` of the ``InvitationError`` that inviting ``person`` at ``email`` raises."""
    with pytest.raises(InvitationError) as caught:
        invite(person, email, rf)
    assert caught.value.message
    return caught.value.code


# The service.


def test_inviting_links_a_new_verified_account_and_mails_the_sessions_and_links(rapporteur, rf, mailoutbox):
    user = invite(rapporteur, "  Ana.Lopez@Example.ORG ", rf)

    assert list(User.objects.all()) == [user]
    assert user.email == "ana.lopez@example.org"
    assert not user.has_usable_password()
    rapporteur.refresh_from_db()
    assert rapporteur.user == user
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("ana.lopez@example.org", True, True)
    [mail] = mailoutbox
    assert mail.to == ["ana.lopez@example.org"]
    assert mail.subject == "You are invited as rapporteur: Mayoral Forum 2020"
    assert "- Housing\n- Jobs\n" in mail.body
    assert "Water" not in mail.body
    assert f"{settings.SITE_URL}/en/rapporteur/" in mail.body
    [(html, mimetype)] = mail.alternatives
    assert mimetype == "text/html"
    assert "<li>Jobs</li>" in html
    assert f'href="{settings.SITE_URL}/en/rapporteur/"' in html


def test_the_mailed_link_sets_a_password_to_sign_in_with(rapporteur, rf, client, mailoutbox):
    user = invite(rapporteur, "ana@x.org", rf)
    key_path = RESET_PATH.search(mailoutbox[0].body).group(1)

    form_page = client.get(key_path, follow=True)
    assert 'name="password1"' in form_page.content.decode()
    response = client.post(form_page.redirect_chain[-1][0], {"password1": PASSWORD, "password2": PASSWORD})

    assert response["Location"] == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    browser = Client()
    signed_in = browser.post(reverse("account_login"), {"login": "ana@x.org", "password": PASSWORD})
    assert signed_in["Location"] == "/en/"
    assert browser.session["_auth_user_id"] == str(user.pk)
    assert client.get(key_path, follow=True).context["token_fail"], "the link works once"


def test_inviting_again_reuses_the_account_and_sends_a_fresh_link(rapporteur, rf, mailoutbox):
    first = invite(rapporteur, "ana@x.org", rf)

    again = invite(rapporteur, "ANA@x.org", rf)

    assert again == first
    assert User.objects.count() == 1
    assert EmailAddress.objects.filter(user=first).count() == 1
    assert len(mailoutbox) == 2
    assert RESET_PATH.search(mailoutbox[1].body)


def test_an_existing_account_is_reused_with_its_password(rapporteur, rf, mailoutbox):
    ana = UserFactory(email="ana@x.org")
    EmailAddress.objects.create(user=ana, email="old@x.org", verified=True, primary=True)

    assert invite(rapporteur, "Ana@X.org", rf) == ana

    assert User.objects.count() == 1
    ana.refresh_from_db()
    assert ana.check_password("correct horse battery staple")
    assert EmailAddress.objects.get(user=ana, primary=True).email == "ana@x.org"
    assert EmailAddress.objects.get(email="ana@x.org").verified
    assert len(mailoutbox) == 1


def test_a_person_without_a_rapporteur_role_is_refused(speaker, rf, mailoutbox):
    assert refusal(speaker, "bruno@x.org", rf) == "not_rapporteur"

    assert not User.objects.exists()
    assert mailoutbox == []


def test_a_person_linked_to_another_account_is_refused(rapporteur, rf, mailoutbox):
    rapporteur.user = UserFactory(email="someone@x.org")
    rapporteur.save()

    assert refusal(rapporteur, "ana@x.org", rf) == "person_linked"

    assert not User.objects.filter(email="ana@x.org").exists()
    rapporteur.refresh_from_db()
    assert rapporteur.user.email == "someone@x.org"
    assert mailoutbox == []


def test_an_account_linked_to_another_person_is_refused(rapporteur, rf, mailoutbox):
    PersonFactory(user=UserFactory(email="ana@x.org"))

    assert refusal(rapporteur, "ana@x.org", rf) == "user_linked"

    rapporteur.refresh_from_db()
    assert rapporteur.user is None
    assert not EmailAddress.objects.exists()
    assert mailoutbox == []


def test_a_deactivated_account_is_refused(rapporteur, rf, mailoutbox):
    UserFactory(email="ana@x.org", is_active=False)

    assert refusal(rapporteur, "ana@x.org", rf) == "inactive"

    rapporteur.refresh_from_db()
    assert rapporteur.user is None
    assert mailoutbox == []


def test_an_address_verified_by_another_account_is_refused(rapporteur, rf, mailoutbox):
    EmailAddress.objects.create(user=UserFactory(email="other@x.org"), email="ana@x.org", verified=True)

    assert refusal(rapporteur, "ana@x.org", rf) == "email_taken"

    assert not User.objects.filter(email="ana@x.org").exists()
    assert mailoutbox == []


def test_an_invalid_address_is_refused(rapporteur, rf, mailoutbox):
    assert refusal(rapporteur, "not an address", rf) == "invalid_email"

    assert not User.objects.exists()
    assert mailoutbox == []


# The admin action.


def action_post(people: list[Person], **emails: str) -> dict:
    """The changelist POST of the action for ``people``; with ``emails`` (field name → address), the confirmation."""
    data = {"action": "invite_as_rapporteur", "_selected_action": [str(person.pk) for person in people]}
    if emails:
        data.update(emails, post="yes")
    return data


def test_the_action_asks_for_each_address_prefilled_from_the_linked_account(admin_client, rapporteur, speaker):
    speaker.user = UserFactory(email="bruno@x.org")
    speaker.save()

    page = admin_client.post(CHANGELIST, action_post([rapporteur, speaker]))

    assert page.status_code == 200
    assert "admin/forum/person/invite_rapporteurs.html" in [template.name for template in page.templates]
    html = page.content.decode()
    assert re.search(rf'name="email-{speaker.pk}"[^>]*value="bruno@x.org"', html)
    assert re.search(rf'<input type="email" name="email-{rapporteur.pk}"(?![^>]*value=)', html)
    assert "Housing; Jobs" in html
    assert "No rapporteur or rapporteurship role: will be refused." in html
    assert not User.objects.filter(email="bruno@x.org", person__isnull=True).exists()


def test_confirming_invites_and_reports_the_invited_and_the_refused(admin_client, rapporteur, speaker, mailoutbox):
    response = admin_client.post(
        CHANGELIST,
        action_post(
            [rapporteur, speaker], **{f"email-{rapporteur.pk}": "Ana@X.org", f"email-{speaker.pk}": "bruno@x.org"}
        ),
        follow=True,
    )

    assert response.redirect_chain == [(CHANGELIST, 302)]
    notes = [str(message) for message in response.context["messages"]]
    assert "Invited as rapporteur, with an e-mail to set a password: Ana López (ana@x.org)." in notes
    assert (
        "Not invited: Bruno Díaz (bruno@x.org): Bruno Díaz holds no rapporteur or rapporteurship role in any session."
        in notes
    )
    rapporteur.refresh_from_db()
    assert rapporteur.user.email == "ana@x.org"
    assert [mail.to for mail in mailoutbox] == [["ana@x.org"]]
    assert not User.objects.filter(email="bruno@x.org").exists()


def test_confirming_with_an_invalid_address_shows_the_page_again(admin_client, rapporteur, mailoutbox):
    page = admin_client.post(CHANGELIST, action_post([rapporteur], **{f"email-{rapporteur.pk}": "nope"}))

    assert page.status_code == 200
    assert "Enter a valid email address." in page.content.decode()
    assert mailoutbox == []
    assert User.objects.count() == 1, "only the admin"


def test_a_signed_in_non_staff_user_cannot_reach_the_action(client, rapporteur, mailoutbox):
    client.force_login(UserFactory(email="visitor@x.org"))

    for data in (action_post([rapporteur]), action_post([rapporteur], **{f"email-{rapporteur.pk}": "ana@x.org"})):
        response = client.post(CHANGELIST, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    rapporteur.refresh_from_db()
    assert rapporteur.user is None
    assert mailoutbox == []


def test_staff_who_may_only_view_people_cannot_invite(client, rapporteur, mailoutbox):
    viewer = UserFactory(email="viewer@x.org", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_person"))
    client.force_login(viewer)

    for data in (action_post([rapporteur]), action_post([rapporteur], **{f"email-{rapporteur.pk}": "ana@x.org"})):
        response = client.post(CHANGELIST, data)
        assert "admin/forum/person/invite_rapporteurs.html" not in [template.name for template in response.templates]

    rapporteur.refresh_from_db()
    assert rapporteur.user is None
    assert mailoutbox == []
