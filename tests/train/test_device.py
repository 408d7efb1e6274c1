from tauresnet.train.device import cpu_name

# The start of /proc/cpuinfo on a 2-core cloud VM: one block per logical CPU.
CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
model\t\t: 2
model name\t: AMD EPYC
stepping\t: 1

processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: Other CPU
"""


def test_cpu_name_gives_the_first_processors_model_with_family_and_model_numbers():
    assert cpu_name(CPUINFO) == "AMD EPYC (family 26, model 2)"


def test_cpu_name_without_family_numbers_is_the_model_name():
    assert cpu_name("processor\t: 0\nmodel name\t: Neoverse-V2\n") == "Neoverse-V2"
