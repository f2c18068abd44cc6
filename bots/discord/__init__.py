"""The Discord adapter: every command in `commands/` as an application command, Replies as embeds and buttons.

Nothing here knows a particular command: `binder` reads the catalog, `render` draws any Reply, `client` routes
interactions to the one Dispatcher, and `notifier` delivers the scheduler's channel posts.
"""
