"""The street's organisation: stations, grids (polygons), departments and people."""
