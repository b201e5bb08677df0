"""The shared kit every Hamkori app builds with (docs/architecture.md, "The kit").

- :mod:`hamkori.kit.spreadsheets`: safe reading of uploads, formula-safe XLSX/CSV writing;
- :mod:`hamkori.kit.imports`: the import driver (columns, validate every row, write all or nothing);
- :mod:`hamkori.kit.exports`: audited exports, plain or disclosure-controlled;
- :mod:`hamkori.kit.pages`: ``render_page`` (htmx partials), ``form_then_service``, ``querystring``;
- ``kit/_pager.html`` and ``{% load kit %}``: the pager and the ``{% query %}`` tag.

It lies directly above ``core`` and imports nothing else of Hamkori.
"""
