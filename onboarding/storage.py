"""The wizard's session storage (its files wait in core.storage.wizard_file_storage)."""

from formtools.wizard.storage.session import SessionStorage


class WizardSessionStorage(SessionStorage):
    """formtools' session storage, writing the session only when the wizard's data changes.

    - formtools marks the session modified each time its data is read (it is a mutable dict
      held in the session), so every page of the wizard, each GET included, ended with an
      UPDATE of the session row (and its transaction). Here only what changes the data marks
      it: the methods of formtools' storage API, the only way the wizard changes it.
    - A wizard with nothing in it yet is held by the request, not put in the session: opening
      the first page (a visitor looking, a robot) writes no session row, and its GET costs the
      captcha's row only. The wizard goes into the session at its first change (a step posted,
      a step chosen by its URL), exactly as formtools would have stored it.
    """

    def __init__(self, *args, **kwargs):
        self._blank = None
        super().__init__(*args, **kwargs)

    def init_data(self):
        # formtools' blank wizard, kept out of the session (reset() also comes here).
        self._blank = {self.step_key: None, self.step_data_key: {}, self.step_files_key: {}, self.extra_data_key: {}}
        self.request.session.pop(self.prefix, None)  # marks the session modified only if it held one

    def _get_data(self):
        if self.prefix in self.request.session:
            return self.request.session[self.prefix]
        if self._blank is None:
            self.init_data()
        return self._blank

    data = property(_get_data, SessionStorage._set_data)  # the setter marks the session modified

    def _changed(self):
        # Puts a blank wizard into the session at its first change; marks the session modified.
        self.request.session[self.prefix] = self.data

    def _set_current_step(self, step):
        if step != self.current_step:
            super()._set_current_step(step)
            self._changed()

    def _set_extra_data(self, extra_data):
        super()._set_extra_data(extra_data)
        self._changed()

    def set_step_data(self, step, cleaned_data):
        super().set_step_data(step, cleaned_data)
        self._changed()

    def set_step_files(self, step, files):
        # A file replaced (the step posted again with another one) is removed with the response,
        # as formtools removes a finished wizard's: a session keeps one file per field.
        kept = self.data[self.step_files_key].get(step, {})
        replaced = [kept[field]["tmp_name"] for field in files or {} if field in kept]
        for field in files or {}:
            opened = self._files.pop((step, field), None)
            if opened is not None:
                opened.close()
        super().set_step_files(step, files)
        self._tmp_files.extend(replaced)
        self._changed()

    def get_step_files(self, step):
        try:
            return super().get_step_files(step)
        except FileNotFoundError:
            # Removed since it was sent (purge_wizard_files, or this wizard finished in another
            # tab): forgotten, so that the step asks for the file again instead of failing.
            self.data[self.step_files_key].pop(step, None)
            self._files = {key: value for key, value in self._files.items() if key[0] != step}
            self._changed()
            return None
