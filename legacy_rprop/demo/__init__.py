"""The demo and the paper's experiments, on multi-backend Keras: `problems`
(the classic Rprop problems), `run` (every variant beside Keras' SGD and
Adam, a table and a plot: ``legacy-rprop demo``), `paper` (Riedmiller &
Braun 1993 on their setup: ``legacy-rprop demo --paper``)."""
