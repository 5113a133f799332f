"""The demo: an embedded chain with generated contracts and activity, sample order books, and
every program run, verified and compared on them (`epochdrop demo`)."""
