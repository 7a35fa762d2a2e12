"""Private command groups of the ``gabacare`` CLI; :mod:`gabacare.cli` assembles them."""
