using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using System.Runtime.CompilerServices;

namespace GradGuard.Analyzers.NetworkModel
{
    internal sealed partial class NetworkInterpreter
    {
        /// <summary>
        /// Calls into the base library that network code leans on: list and dictionary methods, the LINQ operators
        /// stage tables go through, <c>System.Math</c> and string tests on constants. Null when the call is none of them.
        /// </summary>
        private Value? EvalLibraryCall(IMethodSymbol method, Value? subject, IReadOnlyList<Value?> arguments)
        {
            var name = method.Name;
            var container = method.ContainingType;
            if (IsSystemType(container, "Math") && arguments.All(a => a is ConstantValue))
            {
                return ConstantFolding.MathCall(name, arguments.Cast<ConstantValue>().ToList());
            }

            if (IsSystemType(container, "Convert") && arguments.Count == 1 && arguments[0] is ConstantValue converted)
            {
                return ConstantFolding.Convert(converted, method.ReturnType);
            }

            if (container?.SpecialType == SpecialType.System_String && name is "IsNullOrEmpty" or "IsNullOrWhiteSpace" && arguments.Count == 1)
            {
                return arguments[0] is ConstantValue text ? ConstantValue.Of(string.IsNullOrWhiteSpace(text.Value as string)) : null;
            }

            if (subject is null && IsLinqEnumerable(container))
            {
                return Generate(name, arguments);
            }

            return subject switch
            {
                ConstantValue { Value: string text } => ConstantFolding.StringCall(name, text, arguments.Select(a => a as ConstantValue).ToList()),
                ParameterNameValue parameterName => ParameterNameTest(name, parameterName, arguments),
                ModuleValue modules => ModuleListCall(name, modules, arguments),
                SequenceValue sequence => SequenceCall(method, sequence, arguments),
                DictionaryValue dictionary => DictionaryCall(name, dictionary, arguments),
                _ => null,
            };
        }

        private static Value? Generate(string name, IReadOnlyList<Value?> arguments)
        {
            var first = (arguments.ElementAtOrDefault(0) as ConstantValue)?.AsLong;
            var count = (arguments.ElementAtOrDefault(1) as ConstantValue)?.AsLong;
            return name switch
            {
                "Range" when first is { } start && count is { } length && length >= 0 && length <= MaxElementsIterated =>
                    new SequenceValue(Enumerable.Range(0, (int)length).Select(i => (Value?)ConstantValue.Of(start + i))),
                "Repeat" when count is { } times && times >= 0 && times <= MaxElementsIterated => Repeat(arguments[0], times),
                _ => null,
            };
        }

        private static Value Repeat(Value? element, long times) => element is ModuleValue module
            ? new ModuleValue(Enumerable.Repeat(module.AsElement(), (int)times))
            : new SequenceValue(Enumerable.Repeat(element, (int)times));

        /// <summary><c>name.EndsWith("weight")</c> on a parameter's name decides between its weights and its biases.</summary>
        private static Value? ParameterNameTest(string name, ParameterNameValue parameterName, IReadOnlyList<Value?> arguments)
        {
            if (arguments.ElementAtOrDefault(0) is not ConstantValue { Value: string part })
            {
                return null;
            }

            var leaf = "." + parameterName.Leaf;
            return name switch
            {
                "EndsWith" when part.Length <= leaf.Length => ConstantValue.Of(leaf.EndsWith(part, System.StringComparison.Ordinal)),
                "Contains" when leaf.Contains(part) => ConstantValue.True,
                "Contains" when part is "weight" or "bias" => ConstantValue.False,
                _ => null,
            };
        }

        private Value? ModuleListCall(string name, ModuleValue modules, IReadOnlyList<Value?> arguments)
        {
            switch (name)
            {
                case "Add" or "append" or "Append" or "Insert" or "Push" or "Enqueue":
                    AppendModules(modules, arguments.Skip(name == "Insert" ? 1 : 0), asElements: true);
                    return null;
                case "AddRange" or "extend":
                    AppendModules(modules, arguments, asElements: false);
                    return null;
                case "Clear":
                    modules.Nodes.Clear();
                    modules.ClearSubmodules();
                    return null;
                case "ToArray" or "ToList" or "AsEnumerable" or "ToImmutableArray" or "ToImmutableList":
                    return CopyOf(modules, modules.Nodes);
                case "Reverse":
                    return CopyOf(modules, Enumerable.Reverse(modules.Nodes));
                case "Concat" when arguments.ElementAtOrDefault(0) is ModuleValue other:
                    return CopyOf(modules, modules.Nodes.Concat(other.Nodes), other);
                case "Count" or "LongCount":
                    return CountOf(modules);
                case "ElementAt" or "First" or "Last":
                    return ElementAt(modules, name == "ElementAt" ? arguments.ElementAtOrDefault(0) : name == "First" ? ConstantValue.Of(0L) : LastIndex(modules));
                case "Select":
                    return Map(Elements(modules), arguments.ElementAtOrDefault(0));
                default:
                    return null;
            }
        }

        private Value? SequenceCall(IMethodSymbol method, SequenceValue sequence, IReadOnlyList<Value?> arguments)
        {
            var name = method.Name;
            var first = arguments.ElementAtOrDefault(0);
            var number = (first as ConstantValue)?.AsLong;
            switch (name)
            {
                case "Add" or "Push" or "Enqueue" or "append":
                    sequence.Elements.Add(first);
                    return null;
                case "Insert" when number is { } at && at >= 0 && at <= sequence.Elements.Count:
                    sequence.Elements.Insert((int)at, arguments.ElementAtOrDefault(1));
                    return null;
                case "AddRange" or "extend":
                    if (first is SequenceValue more)
                    {
                        sequence.Elements.AddRange(more.Elements);
                    }
                    else
                    {
                        sequence.IsComplete = false;
                    }

                    return null;
                case "Clear":
                    sequence.Elements.Clear();
                    sequence.IsComplete = true;
                    return null;
                case "Reverse" when !method.IsExtensionMethod:
                    sequence.Elements.Reverse();
                    return null;
                case "Reverse":
                    return new SequenceValue(Enumerable.Reverse(sequence.Elements)) { IsComplete = sequence.IsComplete };
                case "ToArray" or "ToList" or "AsEnumerable" or "ToImmutableArray" or "ToImmutableList":
                    return new SequenceValue(sequence.Elements) { IsComplete = sequence.IsComplete };
                case "Count" or "LongCount" when arguments.Count == 0:
                    return CountOf(sequence);
                case "Sum" or "Max" or "Min" when arguments.Count == 0 && sequence.IsComplete && sequence.Elements.Count > 0 && sequence.Elements.All(e => e is ConstantValue { AsDouble: not null }):
                    return Aggregate(name, sequence.Elements.Cast<ConstantValue>().ToList());
                case "ElementAt" or "First" or "Last" or "ElementAtOrDefault":
                    return ElementAt(sequence, name is "ElementAt" or "ElementAtOrDefault" ? first : name == "First" ? ConstantValue.Of(0L) : LastIndex(sequence));
                case "Skip" or "Take" or "SkipLast" or "TakeLast" when number is { } n && sequence.IsComplete:
                    var count = sequence.Elements.Count;
                    var part = (int)System.Math.Max(0, System.Math.Min(n, count));
                    var kept = name switch
                    {
                        "Skip" => sequence.Elements.Skip(part),
                        "Take" => sequence.Elements.Take(part),
                        "SkipLast" => sequence.Elements.Take(count - part),
                        _ => sequence.Elements.Skip(count - part),
                    };
                    return new SequenceValue(kept);
                case "Concat" when first is SequenceValue other:
                    return new SequenceValue(sequence.Elements.Concat(other.Elements)) { IsComplete = sequence.IsComplete && other.IsComplete };
                case "Zip" when first is SequenceValue other && arguments.Count == 1:
                    return new SequenceValue(sequence.Elements.Zip(other.Elements, (a, b) => (Value?)new TupleValue(new[] { a, b })));
                case "Select":
                    return Map(sequence.Elements, first);
                case "Where" when first is DelegateValue predicate:
                    var filtered = new SequenceValue(Enumerable.Empty<Value?>()) { IsComplete = sequence.IsComplete };
                    foreach (var element in sequence.Elements.Take(MaxElementsIterated))
                    {
                        switch ((Invoke(predicate, new[] { element }) as ConstantValue)?.AsBool)
                        {
                            case true:
                                filtered.Elements.Add(element);
                                break;
                            case null:
                                filtered.Elements.Add(element);
                                filtered.IsComplete = false;
                                break;
                        }
                    }

                    return filtered;
                default:
                    return null;
            }
        }

        private static Value? DictionaryCall(string name, DictionaryValue dictionary, IReadOnlyList<Value?> arguments)
        {
            var key = arguments.ElementAtOrDefault(0);
            switch (name)
            {
                case "Add" or "TryAdd":
                    dictionary.Set(key, arguments.ElementAtOrDefault(1));
                    return null;
                case "ContainsKey":
                    return key is ConstantValue known && dictionary.Entries.All(e => e.Key.Value is not null) ? ConstantValue.Of(dictionary.Entries.Any(e => e.Key.SameAs(known))) : null;
                default:
                    return null;
            }
        }

        /// <summary><c>Select(x =&gt; ...)</c>: the lambda runs on every element; modules come out as a module list.</summary>
        private Value? Map(IEnumerable<Value?> elements, Value? selector)
        {
            if (selector is not DelegateValue)
            {
                return null;
            }

            var results = elements.Take(MaxElementsIterated).Select(e => Invoke(selector, new[] { e })).ToList();
            if (results.Count > 0 && results.All(r => r is ModuleValue))
            {
                var modules = new ModuleValue(Enumerable.Empty<Node>());
                AppendModules(modules, results, asElements: true);
                return modules;
            }

            return new SequenceValue(results);
        }

        private static IEnumerable<Value?> Elements(ModuleValue modules) =>
            modules.Nodes.Select(n => (Value?)ElementModule(ImmutableArray.Create(n), modules));

        private static ModuleValue CopyOf(ModuleValue source, IEnumerable<Node> nodes, ModuleValue? other = null)
        {
            var copy = new ModuleValue(nodes);
            copy.AddSubmodules(source.Submodules);
            if (other is not null)
            {
                copy.AddSubmodules(other.Submodules);
            }

            return copy;
        }

        private static ConstantValue? Aggregate(string name, List<ConstantValue> numbers)
        {
            if (numbers.All(n => n.Value is long))
            {
                var longs = numbers.Select(n => (long)n.Value!).ToList();
                return ConstantValue.Of(name == "Sum" ? longs.Sum() : name == "Max" ? longs.Max() : longs.Min());
            }

            var doubles = numbers.Select(n => n.AsDouble!.Value).ToList();
            return ConstantValue.Of(name == "Sum" ? doubles.Sum() : name == "Max" ? doubles.Max() : doubles.Min());
        }

        /// <summary>How many elements a list holds, where every append was counted (a folded loop's repeat counts as its count).</summary>
        private static ConstantValue? CountOf(Value? collection) => collection switch
        {
            SequenceValue { IsComplete: true } sequence => ConstantValue.Of(sequence.Elements.Count),
            ModuleValue modules when modules.Nodes.All(n => n is not BranchNode) =>
                ConstantValue.Of(modules.Nodes.Sum(n => n is RepeatNode { Count: > 1 } repeat ? repeat.Count * repeat.Body.Length : 1)),
            _ => null,
        };

        private static ConstantValue? LastIndex(Value collection) =>
            CountOf(collection)?.AsLong is { } count && count > 0 ? ConstantValue.Of(count - 1) : null;

        /// <summary><c>list[i]</c>, <c>array[i]</c>, <c>dict[key]</c> with the index known; <c>^1</c> counts from the end.</summary>
        private static Value? ElementAt(Value? collection, Value? index)
        {
            if (collection is DictionaryValue dictionary)
            {
                return dictionary.Lookup(index);
            }

            if ((index as ConstantValue)?.AsLong is not { } position || position < 0)
            {
                return null;
            }

            switch (collection)
            {
                case SequenceValue sequence when position < sequence.Elements.Count && (sequence.IsComplete || position < sequence.Elements.Count):
                    return sequence.Elements[(int)position];
                case ModuleValue modules when modules.Nodes.All(n => n is not BranchNode):
                    foreach (var node in modules.Nodes)
                    {
                        var width = node is RepeatNode { Count: > 1 } repeat ? repeat.Count * repeat.Body.Length : 1;
                        if (position < width)
                        {
                            var element = node is RepeatNode { Count: > 1 } folded ? folded.Body[(int)(position % folded.Body.Length)] : node;
                            return ElementModule(ImmutableArray.Create(element), modules);
                        }

                        position -= width;
                    }

                    return null;
                case TupleValue tuple when position < tuple.Elements.Length:
                    return tuple.Elements[(int)position];
                default:
                    return null;
            }
        }

        private static void StoreElement(Value? collection, Value? index, Value? value)
        {
            switch (collection)
            {
                case DictionaryValue dictionary:
                    dictionary.Set(index, value);
                    break;
                case ModuleValue modules when value is ModuleValue module:
                    // Arrays of modules are filled in order in the code that builds networks: appended as they come.
                    modules.Nodes.Add(Nest(modules, module));
                    break;
                case SequenceValue sequence when (index as ConstantValue)?.AsLong is { } position && position >= 0 && position < MaxElementsIterated:
                    while (sequence.Elements.Count <= position)
                    {
                        sequence.Elements.Add(null);
                    }

                    sequence.Elements[(int)position] = value;
                    break;
                case SequenceValue sequence:
                    sequence.IsComplete = false;
                    break;
            }
        }

        /// <summary>Appends a list <c>Add</c>'s or a collection initialiser's arguments to whatever collection it is.</summary>
        private void Append(Value collection, IReadOnlyList<Value?> arguments)
        {
            switch (collection)
            {
                case ModuleValue modules:
                    AppendModules(modules, arguments, asElements: true);
                    break;
                case SequenceValue sequence:
                    sequence.Elements.Add(arguments.Count == 1 ? arguments[0] : new TupleValue(arguments));
                    break;
                case DictionaryValue dictionary when arguments.Count == 2:
                    dictionary.Set(arguments[0], arguments[1]);
                    break;
            }
        }

        /// <summary>
        /// The collection a <c>new</c> makes: modules (or (name, module) pairs) go in a module list, keyed values in a
        /// dictionary, anything else enumerable in a sequence, copied from a collection given to the constructor.
        /// </summary>
        private Value? NewCollection(INamedTypeSymbol type, IEnumerable<Value?> arguments)
        {
            if (HoldsModules(type))
            {
                var modules = new ModuleValue(Enumerable.Empty<Node>());
                AppendModules(modules, arguments.OfType<ModuleValue>(), asElements: false);
                return modules;
            }

            if (type.AllInterfaces.Any(i => i is { Name: "IDictionary", Arity: 2, ContainingNamespace: { Name: "Generic", ContainingNamespace.Name: "Collections" } }))
            {
                return new DictionaryValue();
            }

            if (type.SpecialType != SpecialType.System_String && type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable))
            {
                return arguments.OfType<SequenceValue>().FirstOrDefault() is { } source
                    ? new SequenceValue(source.Elements) { IsComplete = source.IsComplete }
                    : new SequenceValue(Enumerable.Empty<Value?>());
            }

            return null;
        }

        [MethodImpl(HotPaths.Optimized)]
        private Value EvalArray(IArrayCreationOperation array, Frame frame)
        {
            var elements = array.Initializer is { } initializer ? EvalEach(initializer.ElementValues, frame) : null;
            if (HoldsModules(array.Type))
            {
                var modules = new ModuleValue(Enumerable.Empty<Node>());
                AppendModules(modules, elements ?? new List<Value?>(), asElements: true);
                return modules;
            }

            if (elements is not null)
            {
                return new SequenceValue(elements);
            }

            var length = array.DimensionSizes.Length == 1 ? (Eval(array.DimensionSizes[0], frame) as ConstantValue)?.AsLong : null;
            return length is { } known && known >= 0 && known <= MaxElementsIterated
                ? new SequenceValue(Enumerable.Repeat<Value?>(null, (int)known))
                : new SequenceValue(Enumerable.Empty<Value?>()) { IsComplete = false };
        }

        /// <summary><c>[a, b, ..rest]</c>: read from the operation's children, whose kind depends on the compiler's version.</summary>
        private Value EvalCollectionExpression(IOperation collection, Frame frame)
        {
            var elements = new List<Value?>();
            var complete = true;
            foreach (var child in collection.ChildOperations)
            {
                if (child.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.SpreadElementSyntax)
                {
                    switch (Eval(child.ChildOperations.FirstOrDefault(), frame))
                    {
                        case SequenceValue spread:
                            elements.AddRange(spread.Elements);
                            complete &= spread.IsComplete;
                            break;
                        case ModuleValue modules:
                            elements.Add(modules);
                            break;
                        default:
                            complete = false;
                            break;
                    }
                }
                else
                {
                    elements.Add(Eval(child, frame));
                }
            }

            if (HoldsModules(collection.Type) || elements.Count > 0 && elements.All(e => e is ModuleValue || e is TupleValue t && t.Elements.Any(p => p is ModuleValue)))
            {
                var modules = new ModuleValue(Enumerable.Empty<Node>());
                AppendModules(modules, elements, asElements: true);
                return modules;
            }

            return new SequenceValue(elements) { IsComplete = complete };
        }

        /// <summary>A collection type whose elements are modules or (name, module) pairs.</summary>
        private bool HoldsModules(ITypeSymbol? type)
        {
            switch (type)
            {
                case IArrayTypeSymbol array:
                    return IsModuleElement(array.ElementType);
                case INamedTypeSymbol { IsGenericType: true } generic:
                    foreach (var argument in generic.TypeArguments)
                    {
                        if (IsModuleElement(argument))
                        {
                            return true;
                        }
                    }

                    return false;
                default:
                    return false;
            }
        }

        private bool IsModuleElement(ITypeSymbol type)
        {
            if (torch.IsModuleType(type))
            {
                return true;
            }

            if (type is INamedTypeSymbol { IsTupleType: true } tuple)
            {
                foreach (var element in tuple.TupleElements)
                {
                    if (torch.IsModuleType(element.Type))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>A type of the <c>System</c> namespace, told by name: cheaper than formatting the symbol.</summary>
        private static bool IsSystemType(ITypeSymbol? type, string name) =>
            type?.Name == name && type.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true };

        private static bool IsLinqEnumerable(ITypeSymbol? type) =>
            type?.Name == "Enumerable" && type.ContainingNamespace is { Name: "Linq", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } };
    }
}
