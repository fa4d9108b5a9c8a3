"""The project's date and time formats per language (``FORMAT_MODULE_PATH``).

Django looks a format name up in ``forum.formats.<language>.formats`` first, then in its
own locale formats, so ``date_format(value, "DATE_FORMAT")`` or
``{{ value|date:"DATE_FORMAT" }}`` gives "22 January 2020" in English and
"22 de enero de 2020" in Spanish. Besides Django's names (``DATE_FORMAT``,
``DATETIME_FORMAT``, ``MONTH_DAY_FORMAT``, ``TIME_FORMAT``), each language module
defines the project's own, listed in ``NAMED_FORMATS``. A name missing from the active
language's module would be printed as a format string, so every language module
defines every name (``forum/tests/test_i18n.py`` checks it).
Docs: https://docs.djangoproject.com/en/5.2/topics/i18n/formatting/#creating-custom-format-files
"""

NAMED_FORMATS = (
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "MONTH_DAY_FORMAT",
    "TIME_FORMAT",
    "WEEKDAY_DATE_FORMAT",
    "WEEKDAY_DATETIME_FORMAT",
    "WEEKDAY_DAY_MONTH_FORMAT",
    "SHORT_WEEKDAY_DATE_FORMAT",
    "SHORT_WEEKDAY_DAY_MONTH_FORMAT",
    "SHORT_WEEKDAY_DATETIME_FORMAT",
)
"""Every format name the project's templates and code use, defined for each language."""
