"""Export files for coordinators: plain values in, bytes out. Knows no Discord and no database.

- ``cells``: what a cell may hold and how it is written (formula cells neutralised, ids as text,
  times in UTC plus a local-time column);
- ``pseudonyms``: keyed, per-community names for people and messages;
- ``tables``: the declarative description of an export file, its header and codebook rows;
- writers that stream rows in constant memory: ``csv_writer``, ``jsonl_writer``, ``xlsx_writer``,
  ``parquet_writer``, ``graphml_writer``; ``codebook`` and ``archive`` (the ``all`` zip).

Every writer takes a :class:`~bot.exports.tables.Table` and an iterable of row tuples and
returns the number of data rows written. The writers are synchronous and CPU-bound: run them in
a worker thread (``asyncio.to_thread``) from the bot. To show progress, wrap the row iterable in
a generator that counts.
"""
