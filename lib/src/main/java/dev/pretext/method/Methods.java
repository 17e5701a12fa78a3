package dev.pretext.method;

import dev.pretext.UserError;

import java.util.List;

/** The methods users select by {@code method.name}. */
public final class Methods {
    private Methods() {
    }

    public static List<String> names() {
        return List.of(SimClr.NAME);
    }

    public static PretextMethod get(String name) {
        if (SimClr.NAME.equals(name)) {
            return new SimClr();
        }
        throw new UserError("unknown method '" + name + "'; available: " + String.join(", ", names()));
    }
}
