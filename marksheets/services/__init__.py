"""The writes that begin on IAMIS's screens: `sheets` (saving what was typed, one cell
or the whole no-JavaScript form) and `change_requests` (the centre asks the board to
change a submitted mark; an approval sets aside a clerical correction made on the old
value)."""
