"""The use cases: one function per action, one frozen command dataclass as its input, one
transaction each. Services are the only place that commits; they see the unit of work through
the ``ports`` protocols, so unit tests run them on hand-written fakes."""
