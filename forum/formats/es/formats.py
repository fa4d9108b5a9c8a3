"""Spanish date and time formats ("22 de enero de 2020"), 24-hour clock.

Month and weekday names are lower-case in Spanish; the short month is ``b`` ("ene"),
since ``M`` would capitalize it ("Ene").
Syntax: https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date
"""

DATE_FORMAT = r"j \d\e F \d\e Y"  # 22 de enero de 2020
DATETIME_FORMAT = r"j \d\e F \d\e Y, H:i"  # 22 de enero de 2020, 14:00
MONTH_DAY_FORMAT = r"j \d\e F"  # 22 de enero
TIME_FORMAT = "H:i"  # 14:00
WEEKDAY_DATE_FORMAT = r"l j \d\e F \d\e Y"  # miércoles 22 de enero de 2020
WEEKDAY_DATETIME_FORMAT = r"l j \d\e F \d\e Y, H:i"  # miércoles 22 de enero de 2020, 14:00
WEEKDAY_DAY_MONTH_FORMAT = r"l j \d\e F"  # miércoles 22 de enero
SHORT_WEEKDAY_DATE_FORMAT = "D j b Y"  # mié 22 ene 2020
SHORT_WEEKDAY_DAY_MONTH_FORMAT = "D j b"  # mié 22 ene
SHORT_WEEKDAY_DATETIME_FORMAT = "D j b Y H:i"  # mié 22 ene 2020 14:00
