"""Cadre records: units, cadres, training and reserve records; lookups, permissions, import and export."""
