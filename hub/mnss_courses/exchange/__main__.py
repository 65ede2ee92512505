"""`python -m mnss_courses.exchange`: run the exchange service (how the hub starts it)."""

from .service import main

if __name__ == "__main__":
    main()
