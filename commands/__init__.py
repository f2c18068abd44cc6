"""Every slash command and button, declared once: name, options, permission, handler → neutral Reply.

Adapters read the catalog (`registry.load_catalog`) and render; a module added here appears on every platform.
"""
