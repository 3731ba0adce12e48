"""ActivityPub JSON out: plain functions returning dicts, one module per kind of document
(actors, notes, activities, collections). Kept apart from the client API's entities."""
