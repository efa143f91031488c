"""What a plan shows: the summary table, the plot, the self-contained HTML page, the time series files
and the progress line."""
