"""Getting articles in: loading files, pages and feeds (bounded fetches, allowed hosts), cleaning
their text, reading their dates and charsets, and chunking them."""
