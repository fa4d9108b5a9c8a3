"""Schedule exchange in the frab format that pretalx and frab publish (``schedule.xml`` and
``schedule.json``) and that Giggity, ConfClerk, EventFahrplan and the c3voc tools read.

The format is described by the c3voc schemas copied in ``../shared/schemas/``
(``schedule.xml.xsd`` and ``schedule.schema.json``, JSON Schema draft-06, from
``voc/schedule``, see ``../shared/schemas/SOURCES.md``):

- ``export``: a published forum's programme as a schedule (both files valid against
  the schemas);
- ``reader``: a ``schedule.xml`` or ``schedule.json`` (detected by content) read into
  plain records, as leniently as the format's readers are;
- ``plan``: those records checked, every problem collected, without touching the database;
- ``importer``: the plan written into a forum in one transaction, idempotent by guid,
  with a report of what was created, updated and skipped; an existing forum is changed
  only on request, and re-importing this site's own export changes nothing;
- ``views`` and ``admin_views``: the public export URLs and the organizers' upload page.

Identifiers shared by export and import:

- forum slug ↔ conference acronym: the acronym is the slug lower-cased with hyphens as
  underscores ("quito-2020" → "quito_2020"); an import finds its forum by the slug made
  back from the acronym (underscores as hyphens, lower-cased: "Camp2019" → "camp2019",
  "QUITO-2020" → "quito-2020");
- session ↔ event: ``Session.guid`` is the event ``guid``; ``Session.pk`` the event ``id``;
- person ↔ person: ``Person.guid`` is the person ``guid``; a file without person guids
  gets one derived by ``identifiers.derived_person_guid``.
"""
