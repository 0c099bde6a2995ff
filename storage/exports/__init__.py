"""The queries behind coordinators' exports: each streams one community's rows in batches
(``yield_per``), so an export of any size holds a few thousand rows at a time."""
