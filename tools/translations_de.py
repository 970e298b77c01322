"""The German translation of the extension's catalogue, as data.

``make messages`` extracts the catalogue (``flask_server_functions.pot``), writes
``de/LC_MESSAGES/flask_server_functions.po`` from this table and compiles the ``.mo``
(both committed, so the wheel ships them with no build step).
"""

GERMAN = {
    '"%(input)s" cannot be formatted as a date.': "„%(input)s“ ist kein gültiges Datum.",
    '"%(input)s" cannot be formatted as a datetime.': "„%(input)s“ ist kein gültiger Zeitpunkt.",
    '"%(input)s" cannot be formatted as a time.': "„%(input)s“ ist keine gültige Uhrzeit.",
    "A JSON call must send a JSON object of arguments.": (
        "Ein JSON-Aufruf muss ein JSON-Objekt mit Argumenten senden."
    ),
    "A field name is longer than %(max)s characters.": (
        "Ein Feldname ist länger als %(max)s Zeichen."
    ),
    "Cross-origin requests to server functions are not allowed.": (
        "Anfragen von anderen Websites an Serverfunktionen sind nicht erlaubt."
    ),
    "Field may not be null.": "Dieses Feld darf nicht leer sein.",
    "Invalid input type.": "Ungültiger Eingabetyp.",
    "Invalid input.": "Ungültige Eingabe.",
    "Invalid type.": "Ungültiger Typ.",
    "Invalid value.": "Ungültiger Wert.",
    "Length must be %(equal)s.": "Die Länge muss %(equal)s sein.",
    "Length must be between %(min)s and %(max)s.": (
        "Die Länge muss zwischen %(min)s und %(max)s liegen."
    ),
    "Longer than maximum length %(max)s.": "Länger als die Höchstlänge %(max)s.",
    "Missing data for required field.": "Dieses Feld ist erforderlich.",
    "Must be equal to %(other)s.": "Muss gleich %(other)s sein.",
    "Must be greater than %(min)s and less than %(max)s.": (
        "Muss größer als %(min)s und kleiner als %(max)s sein."
    ),
    "Must be greater than %(min)s.": "Muss größer als %(min)s sein.",
    "Must be greater than or equal to %(min)s and less than or equal to %(max)s.": (
        "Muss mindestens %(min)s und höchstens %(max)s sein."
    ),
    "Must be greater than or equal to %(min)s.": "Muss mindestens %(min)s sein.",
    "Must be less than %(max)s.": "Muss kleiner als %(max)s sein.",
    "Must be less than or equal to %(max)s.": "Muss höchstens %(max)s sein.",
    "Must be one of: %(choices)s.": "Muss eines von diesen sein: %(choices)s.",
    "Not a file.": "Keine Datei.",
    "Not a valid IP address.": "Keine gültige IP-Adresse.",
    "Not a valid IP interface.": "Keine gültige IP-Schnittstelle.",
    "Not a valid IPv4 address.": "Keine gültige IPv4-Adresse.",
    "Not a valid IPv4 interface.": "Keine gültige IPv4-Schnittstelle.",
    "Not a valid IPv6 address.": "Keine gültige IPv6-Adresse.",
    "Not a valid IPv6 interface.": "Keine gültige IPv6-Schnittstelle.",
    "Not a valid URL.": "Keine gültige URL.",
    "Not a valid UUID.": "Keine gültige UUID.",
    "Not a valid aware datetime.": "Kein gültiger Zeitpunkt mit Zeitzone.",
    "Not a valid boolean.": "Kein gültiger Wahrheitswert.",
    "Not a valid date.": "Kein gültiges Datum.",
    "Not a valid datetime.": "Kein gültiger Zeitpunkt.",
    "Not a valid email address.": "Keine gültige E-Mail-Adresse.",
    "Not a valid integer.": "Keine gültige ganze Zahl.",
    "Not a valid list.": "Keine gültige Liste.",
    "Not a valid mapping type.": "Keine gültige Zuordnung.",
    "Not a valid naive datetime.": "Kein gültiger Zeitpunkt ohne Zeitzone.",
    "Not a valid number.": "Keine gültige Zahl.",
    "Not a valid period of time.": "Keine gültige Zeitspanne.",
    "Not a valid string.": "Kein gültiger Text.",
    "Not a valid time.": "Keine gültige Uhrzeit.",
    "Not a valid tuple.": "Kein gültiges Tupel.",
    "Not a valid utf-8 string.": "Kein gültiger UTF-8-Text.",
    "Number too large.": "Die Zahl ist zu groß.",
    "One or more of the choices you made was in: %(values)s.": (
        "Mindestens eine Auswahl ist nicht erlaubt: %(values)s."
    ),
    "One or more of the choices you made was not in: %(choices)s.": (
        "Mindestens eine Auswahl gehört nicht zu: %(choices)s."
    ),
    "Server functions take form or JSON bodies, not %(type)r.": (
        "Serverfunktionen nehmen Formulare oder JSON an, nicht %(type)r."
    ),
    "Shorter than minimum length %(min)s.": "Kürzer als die Mindestlänge %(min)s.",
    "Something went wrong on our side. (Error %(error_id)s)": (
        "Bei uns ist etwas schiefgegangen. (Fehler %(error_id)s)"
    ),
    "Special numeric values (nan or infinity) are not permitted.": (
        "Besondere Zahlenwerte (nan oder unendlich) sind nicht erlaubt."
    ),
    "String does not match expected pattern.": "Der Text hat nicht das erwartete Format.",
    "The file is too large (at most %(max_size)s bytes).": (
        "Die Datei ist zu groß (höchstens %(max_size)s Bytes)."
    ),
    "The form's hidden fields were changed.": (
        "Die versteckten Felder des Formulars wurden verändert."
    ),
    "The one-time submission key is malformed (1 to %(max)s characters).": (
        "Der einmalige Absendeschlüssel ist fehlerhaft (1 bis %(max)s Zeichen)."
    ),
    "The request could not be handled.": "Die Anfrage konnte nicht bearbeitet werden.",
    "The result of this form could not be kept for this page.": (
        "Das Ergebnis dieses Formulars konnte für diese Seite nicht aufbewahrt werden."
    ),
    "The result of this form was too large to show on this page.": (
        "Das Ergebnis dieses Formulars war zu groß, um es auf dieser Seite zu zeigen."
    ),
    "The submitted JSON is nested too deeply.": "Das gesendete JSON ist zu tief verschachtelt.",
    "The submitted JSON is not valid Unicode.": "Das gesendete JSON ist kein gültiges Unicode.",
    "The submitted form contains a NUL character.": (
        "Das gesendete Formular enthält ein NUL-Zeichen."
    ),
    "The submitted form could not be read.": "Das gesendete Formular konnte nicht gelesen werden.",
    "The submitted form has more than %(max)s fields.": (
        "Das gesendete Formular hat mehr als %(max)s Felder."
    ),
    "The submitted form is not valid UTF-8.": "Das gesendete Formular ist kein gültiges UTF-8.",
    "The submitted form is too large (limit: %(limit)s bytes).": (
        "Das gesendete Formular ist zu groß (Grenze: %(limit)s Bytes)."
    ),
    "The submitted multipart form is malformed.": (
        "Das gesendete mehrteilige Formular ist fehlerhaft."
    ),
    "This form belongs to a function that no longer exists: the page is out of date."
    " Reload the page and try again.": (
        "Dieses Formular gehört zu einer Funktion, die es nicht mehr gibt: die Seite ist"
        " veraltet. Laden Sie die Seite neu und versuchen Sie es noch einmal."
    ),
    "This form cannot be submitted right now (its store is unavailable)."
    " Nothing was done: wait a moment, then try again.": (
        "Dieses Formular kann gerade nicht gesendet werden (sein Speicher ist nicht"
        " erreichbar). Es wurde nichts ausgeführt: Warten Sie einen Moment und versuchen"
        " Sie es dann noch einmal."
    ),
    "This form has expired. Reload the page and try again.": (
        "Dieses Formular ist abgelaufen. Laden Sie die Seite neu und versuchen Sie es noch einmal."
    ),
    "This form is already being submitted. Wait a moment, then reload the page.": (
        "Dieses Formular wird schon gesendet. Warten Sie einen Moment und laden Sie dann"
        " die Seite neu."
    ),
    "This form was already submitted with different input, so this was not done."
    " Check the page, then submit the form again if you still want to.": (
        "Dieses Formular wurde schon mit anderen Eingaben gesendet, deshalb wurde dies nicht"
        " ausgeführt. Prüfen Sie die Seite und senden Sie das Formular dann noch einmal,"
        " falls Sie es weiterhin möchten."
    ),
    "This form's address is not valid. Reload the page and try again.": (
        "Die Adresse dieses Formulars ist ungültig. Laden Sie die Seite neu und versuchen"
        " Sie es noch einmal."
    ),
    "This type of file is not accepted (allowed: %(allowed)s).": (
        "Dieser Dateityp wird nicht angenommen (erlaubt: %(allowed)s)."
    ),
    "Too many attempts. Wait %(seconds)s seconds, then try again.": (
        "Zu viele Versuche. Warten Sie %(seconds)s Sekunden und versuchen Sie es dann noch einmal."
    ),
    "Unknown field.": "Unbekanntes Feld.",
    "What you typed was too long to keep for this page; please enter it again.": (
        "Ihre Eingabe war zu lang, um sie für diese Seite aufzubewahren; bitte geben Sie"
        " sie noch einmal ein."
    ),
    "You are not allowed to do this.": "Das dürfen Sie nicht.",
    "Choose from the list.": "Wählen Sie aus der Liste.",
    "Choose yes or no.": "Wählen Sie Ja oder Nein.",
    "Enter a date and time.": "Geben Sie ein Datum und eine Uhrzeit ein.",
    "Enter a date.": "Geben Sie ein Datum ein.",
    "Enter a number.": "Geben Sie eine Zahl ein.",
    "Enter a time.": "Geben Sie eine Uhrzeit ein.",
    "Enter a valid identifier.": "Geben Sie eine gültige Kennung ein.",
    "Enter a web address (https://...).": "Geben Sie eine Webadresse ein (https://...).",
    "Enter a whole number.": "Geben Sie eine ganze Zahl ein.",
    "Enter an email address.": "Geben Sie eine E-Mail-Adresse ein.",
    "Enter text.": "Geben Sie Text ein.",
    "This field is required.": "Dieses Feld ist erforderlich.",
    "This number is too large.": "Diese Zahl ist zu groß.",
    "This value is not valid.": "Dieser Wert ist ungültig.",
    "Please sign in to do this.": "Bitte melden Sie sich dafür an.",
    "This changed in the meantime. Reload the page and try again.": "Das hat sich inzwischen geändert. Laden Sie die Seite neu und versuchen Sie es noch einmal.",
    "This could not be done.": "Das ging nicht.",
    "This could not be done. Check what you entered and try again.": "Das ging nicht. Prüfen Sie Ihre Eingaben und versuchen Sie es noch einmal.",
    "This form was sent from another site, or your browser did not say where it was sent from. Open this site's page directly and try again.": "Dieses Formular wurde von einer anderen Website gesendet, oder Ihr Browser hat nicht gesagt, woher. Öffnen Sie die Seite dieser Website direkt und versuchen Sie es noch einmal.",
    "This no longer exists.": "Das gibt es nicht mehr.",
    "This was not found: it may have been deleted.": "Das wurde nicht gefunden: Vielleicht wurde es gelöscht.",
    "Too many attempts. Wait a moment, then try again.": "Zu viele Versuche. Warten Sie einen Moment und versuchen Sie es dann noch einmal.",
    "What you sent is too large (at most %(limit)s).": "Was Sie gesendet haben, ist zu groß (höchstens %(limit)s).",
    "What you sent is too large.": "Was Sie gesendet haben, ist zu groß.",
    "This form was sent to an address that does not serve it. If it keeps happening, tell the site's owner.": "Dieses Formular wurde an eine Adresse gesendet, die es nicht bedient. Wenn das öfter passiert, sagen Sie es dem Betreiber der Website.",
}
