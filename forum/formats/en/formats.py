"""English date and time formats: day before month, 24-hour clock (as the forum's documents print them).

Syntax: https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date
"""

DATE_FORMAT = "j F Y"  # 22 January 2020
DATETIME_FORMAT = "j F Y, H:i"  # 22 January 2020, 14:00
MONTH_DAY_FORMAT = "j F"  # 22 January
TIME_FORMAT = "H:i"  # 14:00
WEEKDAY_DATE_FORMAT = "l j F Y"  # Wednesday 22 January 2020
WEEKDAY_DATETIME_FORMAT = "l j F Y, H:i"  # Wednesday 22 January 2020, 14:00
WEEKDAY_DAY_MONTH_FORMAT = "l j F"  # Wednesday 22 January
SHORT_WEEKDAY_DATE_FORMAT = "D j M Y"  # Wed 22 Jan 2020
SHORT_WEEKDAY_DAY_MONTH_FORMAT = "D j M"  # Wed 22 Jan
SHORT_WEEKDAY_DATETIME_FORMAT = "D j M Y H:i"  # Wed 22 Jan 2020 14:00
