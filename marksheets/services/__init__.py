"""The writes that begin on IAMIS's screens and reach past its marks: `change_requests`
(the centre asks the board to change a submitted mark; an approval sets aside a
clerical correction made on the old value)."""
