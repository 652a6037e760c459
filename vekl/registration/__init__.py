"""Registration: people of a round (``service``), registering on the web with double opt-in
(``online``), letter codes (``letter_codes``), what a person does with their link
(``self_service``), CSV imports (``csv_import``) and the organiser's overview (``overview``)."""
