"""CSV and XLSX exports of registrations, posted through the admin's export form as an organizer would.

The export form (django-import-export 4.4) posts the resource, the format ("0" CSV,
"1" XLSX) and one checkbox per column; the export button keeps the list's filters in
the URL, the export action adds the selected rows as ``export_items``. CSV files start
with a UTF-8 byte-order mark, so that Excel reads them as UTF-8.
"""

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from forum.tests.factories import UserFactory
from registration.exports import RegistrationResource, neutralize
from registration.models import Registration
from registration.tests.factories import RegistrationFactory, SessionSignupFactory
from sessions_app.tests.factories import SessionFactory, quito_time

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

EXPORT = "admin:registration_registration_export"
CSV, XLSX = "0", "1"
HEADERS = [
    "Name",
    "E-mail",
    "Organization",
    "Position",
    "Category",
    "Country",
    "City",
    "Language",
    "Accessibility needs",
    "Status",
    "Registered at (forum time)",
    "Parallel sessions",
]
FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://evil.example","click")']


def export_form(file_format: str, **extra) -> dict:
    """The export form with every column ticked."""
    columns = RegistrationResource().get_export_order()
    return {
        "resource": "0",
        "format": file_format,
        **{f"registrationresource_{name}": "on" for name in columns},
        **extra,
    }


def csv_rows(response) -> list[list[str]]:
    """The rows of the CSV in ``response``, checking that Excel reads it as UTF-8 (byte-order mark, charset)."""
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def xlsx_rows(response) -> list[list]:
    """The cells of the XLSX in ``response``, checking its sheet's title and that no cell is a formula."""
    assert response.status_code == 200, response.content[:500]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Registrations"
    assert [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"] == []
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def ana(open_forum):
    """A confirmed participant signed up for two parallel sessions (one on its waitlist), registered at
    9:30 on 2 January 2020 in Quito (14:30 UTC)."""
    registration = RegistrationFactory(
        forum=open_forum,
        printed_name="Ana Pérez",
        user__email="ana@example.org",
        organization="Municipality of Quito",
        position="Director",
        category="civil_society",
        country="CO",
        city="Bogotá",
        language="es",
        accessibility_needs="Wheelchair access",
    )
    Registration.objects.filter(pk=registration.pk).update(created_at=datetime(2020, 1, 2, 14, 30, tzinfo=UTC))
    morning = SessionFactory(forum=open_forum, title="Morning session", start=quito_time(9))
    afternoon = SessionFactory(forum=open_forum, title="Afternoon session", start=quito_time(14))
    SessionSignupFactory(registration=registration, session=afternoon, status="waitlisted")
    SessionSignupFactory(registration=registration, session=morning)
    return registration


ANA_ROW = [
    "Ana Pérez",
    "ana@example.org",
    "Municipality of Quito",
    "Director",
    "Civil society",
    "Colombia",
    "Bogotá",
    "Español",
    "Wheelchair access",
    "Confirmed",
    "2020-01-02T09:30:00-05:00",
    "Morning session; Afternoon session (waitlist)",
]


def test_csv_export_has_every_column_of_the_filtered_rows(admin_client, ana, open_forum):
    RegistrationFactory(forum=open_forum, status="waitlisted", printed_name="Waiting Person")
    url = reverse(EXPORT) + "?status__exact=confirmed"
    assert admin_client.get(url).status_code == 200
    rows = csv_rows(admin_client.post(url, export_form(CSV)))
    assert rows == [HEADERS, ANA_ROW]


def test_xlsx_export_has_the_same_rows(admin_client, ana, open_forum):
    RegistrationFactory(forum=open_forum, status="waitlisted", printed_name="Waiting Person")
    rows = xlsx_rows(admin_client.post(reverse(EXPORT) + "?q=ana%40example.org", export_form(XLSX)))
    assert rows == [HEADERS, ANA_ROW]


def test_csv_export_is_utf_8_with_a_byte_order_mark_for_excel(admin_client, open_forum):
    RegistrationFactory(forum=open_forum, printed_name="María Núñez")
    response = admin_client.post(reverse(EXPORT), export_form(CSV))
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "María Núñez" in response.content.decode("utf-8-sig")
    assert response["Content-Disposition"].endswith('.csv"')
    assert csv_rows(response)[1][0] == "María Núñez"


CONTROL_CHARACTERS = {
    "printed_name": "Ana\x01\x1b[31mRed",
    "organization": "Back\x08space\x0bTab\x0cFeed",
    "city": "\x07=1+1",
    "accessibility_needs": "Bell\x07 DEL\x7f C1\x85\x9f\nsecond line\ttab",
}
CLEANED = {
    "Name": "Ana[31mRed",
    "Organization": "BackspaceTabFeed",
    "City": "'=1+1",
    "Accessibility needs": "Bell DEL C1\nsecond line\ttab",
}


@pytest.mark.parametrize("file_format", [CSV, XLSX])
def test_control_characters_of_one_participant_do_not_break_the_export(admin_client, ana, open_forum, file_format):
    RegistrationFactory(forum=open_forum, user__email="zz@example.org", **CONTROL_CHARACTERS)
    response = admin_client.post(reverse(EXPORT), export_form(file_format))  # newest first, then Ana
    rows = csv_rows(response) if file_format == CSV else xlsx_rows(response)
    assert len(rows) == 3 and rows[2] == ANA_ROW
    assert {name: rows[1][HEADERS.index(name)] for name in CLEANED} == CLEANED


def test_export_form_labels_each_column_by_its_name(admin_client):
    form = admin_client.get(reverse(EXPORT)).context["form"]
    labels = [form.fields[f"registrationresource_{name}"].label for name in RegistrationResource().get_export_order()]
    assert labels == HEADERS


def test_export_of_some_columns(admin_client, ana):
    data = {
        "resource": "0",
        "format": CSV,
        "registrationresource_printed_name": "on",
        "registrationresource_city": "on",
    }
    assert csv_rows(admin_client.post(reverse(EXPORT), data)) == [["Name", "City"], ["Ana Pérez", "Bogotá"]]


def test_export_action_exports_only_the_selected_rows(admin_client, ana, open_forum):
    RegistrationFactory(forum=open_forum, printed_name="Not Selected")
    changelist = reverse("admin:registration_registration_changelist")
    page = admin_client.post(changelist, {"action": "export_admin_action", "_selected_action": [str(ana.pk)]})
    assert page.status_code == 200 and "Export 1 selected item." in page.text
    rows = csv_rows(admin_client.post(reverse(EXPORT), export_form(CSV, export_items=[str(ana.pk)])))
    assert [row[0] for row in rows] == ["Name", "Ana Pérez"]
    rows = xlsx_rows(admin_client.post(reverse(EXPORT), export_form(XLSX, export_items=[str(ana.pk)])))
    assert [row[0] for row in rows] == ["Name", "Ana Pérez"]


@pytest.mark.parametrize("file_format", [CSV, XLSX])
def test_cells_that_could_run_as_formulas_are_neutralized(admin_client, open_forum, file_format):
    for index, formula in enumerate(FORMULAS):
        RegistrationFactory(
            forum=open_forum,
            printed_name=formula,
            organization=formula,
            city=formula,
            user__email=f"p{index}@example.org",
        )
    response = admin_client.post(reverse(EXPORT), export_form(file_format))
    rows = csv_rows(response) if file_format == CSV else xlsx_rows(response)
    columns = [HEADERS.index(name) for name in ("Name", "Organization", "City")]
    cells = sorted({row[column] for row in rows[1:] for column in columns})
    assert cells == sorted("'" + formula for formula in FORMULAS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ana = Ana", "Ana = Ana"),
        ("Ana\x01\x1b[31mRed", "Ana[31mRed"),
        ("\x00\x08\x0b\x0c\x0e\x1f\x7f\x80\x9f", ""),
        ("line\r\nnext\tcell", "line\r\nnext\tcell"),
        ("\x01=1+1", "'=1+1"),
        ("\x1b-1", "'-1"),
        ("Núñez\u00a0São", "Núñez\u00a0São"),
        ("\uffff", ""),
        ("Qui\ufffeto", "Quito"),
        ("\u202eAna\u2028Test", "AnaTest"),
        ("", ""),
        (3, 3),
        (None, None),
    ],
)
@pytest.mark.unit
def test_neutralize(value, expected):
    assert neutralize(value) == expected


@pytest.mark.parametrize("rows", [5, 50])
def test_export_runs_a_constant_number_of_queries(admin_client, open_forum, django_assert_max_num_queries, rows):
    session = SessionFactory(forum=open_forum)
    for _ in range(rows):
        SessionSignupFactory(registration__forum=open_forum, session=session)
    with django_assert_max_num_queries(8):
        response = admin_client.post(reverse(EXPORT), export_form(CSV))
    assert len(csv_rows(response)) == rows + 1


def test_only_import_is_not_offered_and_formats_are_csv_and_xlsx(admin_client, ana):
    page = admin_client.get(reverse(EXPORT))
    assert [label for _, label in page.context["form"].fields["format"].choices] == ["---", "csv", "xlsx"]
    changelist = admin_client.get(reverse("admin:registration_registration_changelist"))
    assert "Import" not in changelist.text and "Export" in changelist.text


def test_organizers_without_the_export_permission_do_not_see_it(client, ana):
    organizer = UserFactory(is_staff=True)
    organizer.user_permissions.add(Permission.objects.get(codename="view_registration"))
    client.force_login(organizer)
    changelist = client.get(reverse("admin:registration_registration_changelist"))
    assert changelist.status_code == 200 and "Ana Pérez" in changelist.text
    assert reverse(EXPORT) not in changelist.text and "export_admin_action" not in changelist.text
    assert client.get(reverse(EXPORT)).status_code == 403
    assert client.post(reverse(EXPORT), export_form(CSV)).status_code == 403


def test_organizers_with_the_export_permission_export(client, ana):
    organizer = UserFactory(is_staff=True)
    export = Permission.objects.get(
        codename="export_registration", content_type=ContentType.objects.get_for_model(Registration)
    )
    organizer.user_permissions.add(Permission.objects.get(codename="view_registration"), export)
    client.force_login(organizer)
    assert reverse(EXPORT) in client.get(reverse("admin:registration_registration_changelist")).text
    assert csv_rows(client.post(reverse(EXPORT), export_form(CSV)))[1] == ANA_ROW
