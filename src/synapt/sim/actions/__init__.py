"""Motion programs: the vocabulary (motion.py), human actions and object actions."""
