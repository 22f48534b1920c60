"""Pure: a frozen bulletin (reporting/bulletins.py) as the document leaders read — its outline as data (`outline`),
its charts as PNG (`charts`), Word (`docx.bulletin_docx`) and PDF (`pdf.bulletin_pdf`) — made from the bulletin alone,
so that the same bulletin always gives the same bytes. `pages` is the command line that also renders the PDF's pages
as PNG (for docs/)."""
