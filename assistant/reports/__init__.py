"""What past sessions left behind, read back: `queries` turns the database into reports, and
`exports` writes a session's suggestions as playlists and files (`assistant.ui` draws them)."""
