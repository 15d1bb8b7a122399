"""The public site: pages, feeds and JSON built from the release history (see ``content``)."""
