"""What every part shares: the settings, the records that cross module boundaries, their JSON shapes."""
