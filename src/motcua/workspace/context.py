from motcua.workspace.menu import menu_for


def workspace(request):
    """The menu of the signed-in staff user, for the workspace layout."""
    user = getattr(request, "user", None)
    return {"workspace_menu": menu_for(user) if user is not None and user.is_authenticated else []}
