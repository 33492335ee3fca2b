"""Evidence files for sampled candidates; the models arrive with the uploads issue."""
