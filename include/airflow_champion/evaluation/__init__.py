"""The evaluation stage (gate 3): the paired bootstrap, the promotion rules, the verdict, its record
and its report."""
