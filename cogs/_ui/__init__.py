"""What every cog shares and no feature owns: the command tree and its error handler, the base
views, answers in time, embeds, pagination, CSV uploads and the guild interaction type."""
