"""Review stage: read flags and record decisions (`review`), export them (`export`), and the HTML
report (`report`)."""
