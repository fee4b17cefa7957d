"""Output rasters: logistics and score surfaces over a country grid, written as GeoTIFF."""
