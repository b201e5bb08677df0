"""English as the programme writes it (day before month, as in Tajikistan and the United Kingdom),
not Django's US default (``11/28/2026``). Tajik and Russian keep Django's ``28.11.2026``."""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"]
FIRST_DAY_OF_WEEK = 1
