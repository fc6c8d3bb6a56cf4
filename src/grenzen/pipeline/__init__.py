"""The advice pipeline: read → validate → compile → engine → combine → explain, with layers and the safety check."""
