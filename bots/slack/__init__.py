"""The Slack adapter: slack-bolt in Socket Mode or over HTTP, Block Kit rendering, and a generated app manifest.
Every command in `commands/` is exposed with no per-command code; nothing outside this package imports slack_*."""
