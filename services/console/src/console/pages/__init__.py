"""One module per screen; each exports `router`."""
