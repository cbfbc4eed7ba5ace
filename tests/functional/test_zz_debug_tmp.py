from tests.functional.test_visit_payment_form import SIZE, Counter, app, training, until, step_of, error_of  # noqa


async def test_debug_form_typing(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        c = Counter(pilot, app)
        await c.ready()
        await c.place_card()
        await c.start("new", "dongguan-hpf", "org")
        await c.identify()
        await until(pilot, lambda: step_of(app) == "form", "form")
        await pilot.pause(0.3)
        print("F0", app.focused)
        await pilot.press(*"91441900MA00000010")
        print("F1", app.focused)
        await pilot.press("enter")
        print("F2", app.focused)
        await pilot.press(*"东莞市演示")
        print("F3", app.focused, app.screen.query_one("#unit-name").value)
        await pilot.press("enter")
        print("F4", app.focused, error_of(app))
        await pilot.press("enter")
        print("F5", app.focused)
        await pilot.press(*"东莞市南城街道元美路8号")
        print("F6", app.focused, app.screen.query_one("#unit-address").value)
        await pilot.press("enter")
        print("F7", app.focused)
        await pilot.press(*"0769")
        print("F8", app.focused, app.screen.query_one("#unit-phone").value)
