"""The part of OpenEvolve's package that evaluators import, provided by evoloop so they run without OpenEvolve."""
