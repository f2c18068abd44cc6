"""Platform adapters: translate platform events into dispatcher calls and render Replies back. Nothing else."""
