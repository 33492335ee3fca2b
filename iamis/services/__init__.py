"""IAMIS's writes, one module a subdomain: `marks` (saving, absent and carry-forward
rules, locking a sheet's marks at submission), `paste` (pasting a column of marks) and `entries` (importing the
board's entries). Each locks what it changes and writes its audit rows."""
