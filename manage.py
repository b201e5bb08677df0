#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hamkori.config.settings")
    # manage.py is the developer's tool (README, Development): development unless HAMKORI_ENV says
    # otherwise. Servers use gunicorn or the `hamkori` command, which refuse an unset HAMKORI_ENV.
    os.environ.setdefault("HAMKORI_ENV", "development")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
