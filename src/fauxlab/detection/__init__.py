"""Detection: how fakes are caught. Detectors turn analysed media into evidence."""
