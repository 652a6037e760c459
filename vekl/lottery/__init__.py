"""The lottery: who gets a letter, drawn from the population register.

A register extract is imported (``extract`` checks the file, ``service.import_extract``
stores it), the organisers plan the strata and the letters per stratum (``service.plan``,
``sampling.allocate``) and draw them with a seed made in public (``service.draw``,
``sampling.select``). The extract is deleted once the letters are out
(``service.delete_extract``), or by the deadline ``vekl purge`` enforces; the letters' code
hashes, strata and waves stay. The algorithm is in ``docs/adr/0017-reproducible-lottery.md``.
"""
